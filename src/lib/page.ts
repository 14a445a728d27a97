/** What a list request asks for: how many, and after which cursor (none for the first page). */
export interface PageRequest {
  limit: number;
  cursor: string | undefined;
}

/** One page of a list, as every list route answers it. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Reads one keyset page: the query is asked for one row more than the page holds, and that
 * row's presence alone says another page follows (no count, which would cost a scan). The
 * cursor is the key of the last row shown; the next query starts after (or before) it.
 */
export async function readPage<Row extends { id: string }, Item>(
  limit: number,
  read: (rows: number) => Promise<Row[]>,
  toItem: (row: Row) => Item,
  cursorOf: (row: Row) => string = (row) => row.id,
): Promise<Page<Item>> {
  const rows = await read(limit + 1);
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    items: shown.map(toItem),
    nextCursor: rows.length > limit && last ? cursorOf(last) : null,
  };
}
