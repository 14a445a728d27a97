import type { ReactNode } from "react";

/** A row of links between a section's pages, under its title; wraps rather than scrolls. */
export function TabNav({ label, children }: { label: string; children: ReactNode }) {
  return (
    <nav aria-label={label} className="mb-6 border-b border-slate-200">
      <ul className="flex flex-wrap sm:gap-1">{children}</ul>
    </nav>
  );
}

/** What a TanStack `Link` in a TabNav spreads: its look, and `aria-current` on the open page. */
export const TAB_LINK = {
  className:
    "block border-b-2 border-transparent px-2 py-2 text-sm font-medium whitespace-nowrap text-slate-700 hover:text-slate-900 sm:px-3",
  activeProps: { className: "border-brand-700! text-brand-800!", "aria-current": "page" as const },
};
