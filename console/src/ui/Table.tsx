import {
  Cell as AriaCell,
  Column as AriaColumn,
  Row as AriaRow,
  Table as AriaTable,
  type CellProps,
  type ColumnProps,
  type RowProps,
  type TableProps,
} from "react-aria-components";

export { TableBody, TableHeader } from "react-aria-components";

/**
 * A table that scrolls sideways on a narrow screen rather than squeezing its columns; a table
 * whose rows have actions gives way there to a CardList (`className={TABLE_FROM.lg.table}`).
 */
export function Table({
  className = "",
  ...props
}: Omit<TableProps, "className"> & { className?: string }) {
  return (
    <div
      className={`relative w-full max-w-full overflow-x-auto rounded-md border border-slate-200 bg-white ${className}`}
    >
      <AriaTable {...props} className="w-full border-collapse text-left text-sm" />
    </div>
  );
}

export function Column(props: ColumnProps) {
  return (
    <AriaColumn
      {...props}
      className="border-b border-slate-200 px-4 py-2 font-medium whitespace-nowrap text-slate-700"
    />
  );
}

export function Row<T extends object>(props: RowProps<T>) {
  return <AriaRow {...props} className="border-b border-slate-100 last:border-0" />;
}

export function Cell(props: CellProps) {
  return (
    <AriaCell {...props} className="px-4 py-3 align-middle whitespace-nowrap text-slate-900" />
  );
}
