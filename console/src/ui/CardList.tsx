import { Fragment, type ReactNode } from "react";

/** Where a list's table takes over from its cards: the width at which all its columns fit. */
export const TABLE_FROM = {
  lg: { table: "hidden lg:block", cards: "lg:hidden" },
  xl: { table: "hidden xl:block", cards: "xl:hidden" },
} as const;

/**
 * A table's rows as cards, for narrower screens: each value under its label and the row's
 * actions below, so that nothing sits off-screen. A page shows its Table from the width where
 * all its columns fit (`<Table className={TABLE_FROM.lg.table}>`) and these cards below it.
 */
export function CardList({
  label,
  tableFrom = "lg",
  children,
}: {
  label: string;
  tableFrom?: keyof typeof TABLE_FROM;
  children: ReactNode;
}) {
  return (
    <ul aria-label={label} className={`flex flex-col gap-3 ${TABLE_FROM[tableFrom].cards}`}>
      {children}
    </ul>
  );
}

export interface CardProps {
  /** What the row is: a device, a key's name. */
  title: ReactNode;
  /** The row's values, each with its column's name. */
  fields: ReadonlyArray<readonly [label: string, value: ReactNode]>;
  /** Buttons for the row. */
  actions?: ReactNode;
}

export function Card({ title, fields, actions }: CardProps) {
  return (
    <li className="flex flex-col gap-3 rounded-md border border-slate-200 bg-white p-4 text-sm">
      <div className="font-medium break-words text-slate-900">{title}</div>
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1">
        {fields.map(([label, value]) => (
          <Fragment key={label}>
            <dt className="text-slate-600">{label}</dt>
            <dd className="break-words text-slate-900">{value}</dd>
          </Fragment>
        ))}
      </dl>
      {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
    </li>
  );
}
