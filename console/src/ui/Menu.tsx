import type { ReactNode } from "react";
import {
  Menu as AriaMenu,
  MenuItem as AriaMenuItem,
  type MenuItemProps,
  MenuTrigger,
  Popover,
  Separator,
} from "react-aria-components";

/** A button that opens a menu; `trigger` is the button, `children` the items. */
export function Menu({
  trigger,
  label,
  children,
  placement = "bottom start",
}: {
  trigger: ReactNode;
  label: string;
  children: ReactNode;
  placement?: "bottom start" | "top start";
}) {
  return (
    <MenuTrigger>
      {trigger}
      <Popover
        placement={placement}
        className="min-w-56 rounded-md border border-slate-200 bg-white p-1 shadow-lg"
      >
        <AriaMenu aria-label={label} className="outline-none">
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
