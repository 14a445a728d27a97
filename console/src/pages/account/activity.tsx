import { useInfiniteQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../lib/api";
import { Button } from "../../ui/Button";
import { Cell, Column, Row, Table, TableBody, TableHeader } from "../../ui/Table";
import { DateTime, LoadError, Loading } from "../page";

/** "session.created" → "Session created". */
function actionText(action: string): string {
  const text = action.replace(/[._]/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export default function Activity() {
  const events = useInfiniteQuery({
    queryKey: ["me", "audit-events"],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/me/audit-events", {
          params: { query: { limit: "50", ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby="activity-title" className="flex flex-col gap-4">
      <h2 id="activity-title" className="text-lg font-semibold">
        Activity
      </h2>
      <p className="text-sm text-slate-700">Security events on your account, newest first.</p>
      {events.isPending ? (
        <Loading what="activity" />
      ) : events.isError ? (
        <LoadError error={events.error} retry={() => void events.refetch()} />
      ) : (
        <>
          <Table aria-label="Activity">
            <TableHeader>
              <Column isRowHeader>Event</Column>
              <Column>When</Column>
              <Column>Address</Column>
            </TableHeader>
            <TableBody items={items}>
              {(event) => (
                <Row id={event.id}>
                  <Cell>{actionText(event.action)}</Cell>
                  <Cell>
                    <DateTime value={event.createdAt} />
                  </Cell>
                  <Cell>{event.ipAddress ?? "—"}</Cell>
                </Row>
              )}
            </TableBody>
          </Table>
          {events.hasNextPage && (
            <Button
              variant="secondary"
              className="self-start"
              pending={events.isFetchingNextPage}
              onPress={() => void events.fetchNextPage()}
            >
              Load more
            </Button>
          )}
        </>
      )}
    </section>
  );
}
