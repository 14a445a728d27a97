import type { KeysetPages } from "../lib/keyset-pages";
import { Button } from "./Button";

/** Previous and Next under a list of keyset pages; nothing when everything fits on one. */
export function Pager({
  label,
  pages,
  nextCursor,
  loading = false,
}: {
  /** Names the navigation landmark: "Pages of members". */
  label: string;
  pages: KeysetPages;
  nextCursor: string | null | undefined;
  /** The next page is on its way: Next waits for it. */
  loading?: boolean;
}) {
  if (!pages.previous && !nextCursor) return null;
  return (
    <nav aria-label={label} className="flex items-center justify-between gap-3">
      <Button variant="secondary" isDisabled={!pages.previous} onPress={pages.previous}>
        Previous page
      </Button>
      <span className="text-sm text-slate-700">Page {pages.number}</span>
      <Button
        variant="secondary"
        isDisabled={!nextCursor || loading}
        onPress={() => nextCursor && pages.next(nextCursor)}
      >
        Next page
      </Button>
    </nav>
  );
}
