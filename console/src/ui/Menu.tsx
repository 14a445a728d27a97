import { type ReactNode, useRef } from "react";
import {
  Menu as AriaMenu,
  MenuItem as AriaMenuItem,
  Input,
  type MenuItemProps,
  MenuTrigger,
  Popover,
  SearchField,
  Separator,
} from "react-aria-components";

export interface MenuSearch {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** Enter in the search box (e.g. open the first match). */
  onSubmit: () => void;
}

/**
 * A button that opens a menu; `trigger` is the button, `children` the items. With `search`,
 * a search box sits above the items (the caller filters them): Arrow Down moves into the list,
 * Enter picks the first match. (react-aria's Autocomplete would weigh on every page that has a
 * text field, the sign-in page included.)
 */
export function Menu({
  trigger,
  label,
  children,
  placement = "bottom start",
  search,
}: {
  trigger: ReactNode;
  label: string;
  children: ReactNode;
  placement?: "bottom start" | "top start";
  search?: MenuSearch | undefined;
}) {
  const menuRef = useRef<HTMLDivElement>(null);
  return (
    <MenuTrigger>
      {trigger}
      <Popover
        placement={placement}
        className="min-w-64 rounded-md border border-slate-200 bg-white p-1 shadow-lg"
      >
        {search && (
          <SearchField
            aria-label={search.label}
            value={search.value}
            onChange={search.onChange}
            onSubmit={search.onSubmit}
            autoFocus
            className="p-1"
            onKeyDown={(event) => {
              if (event.key !== "ArrowDown") return event.continuePropagation();
              menuRef.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
            }}
          >
            <Input
              placeholder={search.label}
              className="w-full rounded-md border border-slate-400 px-3 py-2 text-sm text-slate-900 placeholder:text-slate-600"
            />
          </SearchField>
        )}
        <AriaMenu
          ref={menuRef}
          aria-label={label}
          autoFocus={search ? false : "first"}
          className="max-h-80 overflow-y-auto outline-none"
        >
          {children}
        </AriaMenu>
      </Popover>
    </MenuTrigger>
  );
}

export function MenuItem(props: MenuItemProps) {
  return (
    <AriaMenuItem
      {...props}
      className="flex cursor-default items-center justify-between gap-4 rounded px-3 py-2 text-sm text-slate-900 outline-none focus:bg-brand-50"
    />
  );
}

export function MenuSeparator() {
  return <Separator className="my-1 border-t border-slate-200" />;
}
