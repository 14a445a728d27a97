import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useNavigate, useParams, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap } from "../../lib/api";
import { useKeysetPages } from "../../lib/keyset-pages";
import { Card, CardList, TABLE_FROM } from "../../ui/CardList";
import { Pager } from "../../ui/Pager";
import { Cell, Column, Row, Table, TableBody, TableHeader } from "../../ui/Table";
import { DateTime, formatDate, LoadError, Loading } from "../page";
import { AuditDetails, DetailsButton } from "./audit-details";
import { AuditFilters, type AuditSearch, auditQuery, exportHref } from "./audit-filters";
import { type AuditEvent, actorName, describeEvent, describeTarget } from "./audit-words";

const PAGE_SIZE = "50";

const exportLink =
  "inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-900 hover:bg-slate-100";

function Actor({ event }: { event: AuditEvent }) {
  return (
    <span className="whitespace-normal [overflow-wrap:anywhere]">
      {actorName(event)}
      {event.actor.type === "api_key" && <span className="text-slate-700"> (API key)</span>}
    </span>
  );
}

/** The organization's audit log, newest first, filtered from the address, a page at a time. */
export default function AuditPage() {
  const { slug } = useParams({ strict: false }) as { slug: string };
  const search = useSearch({ strict: false }) as AuditSearch;
  const navigate = useNavigate();
  const query = auditQuery(search);
  const pages = useKeysetPages(JSON.stringify([slug, query]));
  const cursor = pages.cursor;
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const events = useQuery({
    queryKey: ["organization", slug, "audit", query, cursor ?? null],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/organizations/{org}/audit-events", {
          params: {
            path: { org: slug },
            query: { ...query, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const setSearch = (next: AuditSearch) =>
    void navigate({
      to: "/o/$slug/settings/audit",
      params: { slug },
      search: Object.fromEntries(Object.entries(next).filter(([, value]) => value)),
      replace: true,
    });
  const toggle = (id: string) =>
    setExpanded((open) => {
      const next = new Set(open);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const items = events.data?.items ?? [];
  const nextCursor = events.data?.nextCursor ?? null;
  const filtered = Object.keys(query).length > 0;
  return (
    <section aria-labelledby="audit-title" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="audit-title" className="text-lg font-semibold">
          Audit log
        </h2>
        <div className="flex flex-wrap gap-2">
          <a className={exportLink} href={exportHref(slug, "jsonl", query)} download>
            Export JSON Lines
          </a>
          <a className={exportLink} href={exportHref(slug, "csv", query)} download>
            Export CSV
          </a>
        </div>
      </div>
      <p className="text-sm text-slate-700">
        What was done in this organization and by whom, newest first.
        {filtered && " The export holds the events these filters select."}
      </p>
      <AuditFilters search={search} onChange={setSearch} />
      {events.isPending ? (
        <Loading what="events" />
      ) : events.isError ? (
        <LoadError error={events.error} retry={() => void events.refetch()} />
      ) : items.length === 0 ? (
        <p className="text-sm text-slate-700">
          {filtered ? "No events match these filters." : "No events yet."}
        </p>
      ) : (
        <>
          <Table aria-label="Audit events" className={TABLE_FROM.lg.table}>
            <TableHeader>
              <Column>Actor</Column>
              <Column isRowHeader>Action</Column>
              <Column>Target</Column>
              <Column>Address</Column>
              <Column>Time</Column>
              <Column>
                <span className="sr-only">Details</span>
              </Column>
            </TableHeader>
            <TableBody items={rowsOf(items, expanded)}>
              {(row) =>
                row.kind === "details" ? (
                  <Row id={`${row.event.id}-details`}>
                    <Cell colSpan={6}>
                      {/* No width of its own: the details wrap to the table's, never widen it. */}
                      <div className="w-0 min-w-full">
                        <AuditDetails id={`table-${row.event.id}`} event={row.event} />
                      </div>
                    </Cell>
                  </Row>
                ) : (
                  <Row id={row.event.id}>
                    <Cell>
                      <Actor event={row.event} />
                    </Cell>
                    <Cell>
                      <span className="block min-w-48 whitespace-normal [overflow-wrap:anywhere]">
                        {describeEvent(row.event)}
                      </span>
                    </Cell>
                    <Cell>
                      <span className="whitespace-normal [overflow-wrap:anywhere]">
                        {describeTarget(row.event)}
                      </span>
                    </Cell>
                    <Cell>{row.event.ipAddress ?? "—"}</Cell>
                    <Cell>
                      <DateTime value={row.event.createdAt} />
                    </Cell>
                    <Cell>
                      <DetailsButton
                        controls={`table-${row.event.id}`}
                        expanded={expanded.has(row.event.id)}
                        onPress={() => toggle(row.event.id)}
                      />
                    </Cell>
                  </Row>
                )
              }
            </TableBody>
          </Table>
          <CardList label="Audit events">
            {items.map((event) => (
              <Card
                key={event.id}
                title={describeEvent(event)}
                fields={[
                  ["Actor", <Actor key="actor" event={event} />],
                  ["Target", describeTarget(event)],
                  ["Address", event.ipAddress ?? "—"],
                  ["Time", formatDate(event.createdAt)],
                ]}
                actions={
                  <>
                    <DetailsButton
                      controls={`card-${event.id}`}
                      expanded={expanded.has(event.id)}
                      onPress={() => toggle(event.id)}
                    />
                    {expanded.has(event.id) && (
                      <AuditDetails id={`card-${event.id}`} event={event} />
                    )}
                  </>
                }
              />
            ))}
          </CardList>
        </>
      )}
      <Pager
        label="Pages of events"
        pages={pages}
        nextCursor={nextCursor}
        loading={events.isPlaceholderData}
      />
    </section>
  );
}

type TableRow = { kind: "event" | "details"; id: string; event: AuditEvent };

/** Each event's row, followed by its details' row when it is expanded. */
function rowsOf(items: AuditEvent[], expanded: ReadonlySet<string>): TableRow[] {
  return items.flatMap((event) => [
    { kind: "event" as const, id: event.id, event },
    ...(expanded.has(event.id)
      ? [{ kind: "details" as const, id: `${event.id}-details`, event }]
      : []),
  ]);
}
