import { useState } from "react";

export interface KeysetPages {
  /** The cursor of the page shown; undefined on the first page. */
  cursor: string | undefined;
  /** 1 for the first page. */
  number: number;
  /** Back one page; undefined on the first page. */
  previous: (() => void) | undefined;
  next: (cursor: string) => void;
}

/**
 * The API's keyset pages, walked both ways: the cursors that led to the page shown, so that
 * Previous needs no count of rows. A new `scope` (another organization, search or filter)
 * starts again from the first page.
 */
export function useKeysetPages(scope: string): KeysetPages {
  const [trail, setTrail] = useState<{ scope: string; cursors: string[] }>({ scope, cursors: [] });
  const cursors = trail.scope === scope ? trail.cursors : [];
  return {
    cursor: cursors.at(-1),
    number: cursors.length + 1,
    previous:
      cursors.length > 0 ? () => setTrail({ scope, cursors: cursors.slice(0, -1) }) : undefined,
    next: (cursor) => setTrail({ scope, cursors: [...cursors, cursor] }),
  };
}
