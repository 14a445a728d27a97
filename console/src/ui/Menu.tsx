import type { ReactNode } from "react";
import {
  Menu as AriaMenu,
  MenuItem as AriaMenuItem,
  Autocomplete,
  Input,
  type MenuItemProps,
  MenuTrigger,
  Popover,
  SearchField,
  Separator,
  useFilter,
} from "react-aria-components";

/**
 * A button that opens a menu; `trigger` is the button, `children` the items. With `search`,
 * a search box above the items filters them by their text as the person types.
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
  search?: string;
}) {
  const { contains } = useFilter({ sensitivity: "base" });
  const menu = (
    <AriaMenu aria-label={label} className="max-h-80 overflow-y-auto outline-none">
      {children}
    </AriaMenu>
  );
  return (
    <MenuTrigger>
      {trigger}
      <Popover
        placement={placement}
        className="min-w-64 rounded-md border border-slate-200 bg-white p-1 shadow-lg"
      >
        {search ? (
          <Autocomplete filter={contains}>
            <SearchField aria-label={search} autoFocus className="p-1">
              <Input
                placeholder={search}
                className="w-full rounded-md border border-slate-400 px-3 py-2 text-sm text-slate-900 placeholder:text-slate-600"
              />
            </SearchField>
            {menu}
          </Autocomplete>
        ) : (
          menu
        )}
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
