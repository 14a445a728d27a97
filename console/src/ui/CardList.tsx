import { Fragment, type ReactNode } from "react";

/**
 * A table's rows as cards, for narrow screens: each value under its label and the row's
 * actions below, so that nothing sits off-screen. Pages show it below the `lg` width and their
 * Table from there on (`<Table className="hidden lg:block">`).
 */
export function CardList({ label, children }: { label: string; children: ReactNode }) {
  return (
    <ul aria-label={label} className="flex flex-col gap-3 lg:hidden">
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
