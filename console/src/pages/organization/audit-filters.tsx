import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { Button } from "../../ui/Button";
import { TextField } from "../../ui/TextField";
import { ACTIONS, actionLabel } from "./audit-words";

/** The filters as the address holds them: an action code, an email, days as YYYY-MM-DD. */
export interface AuditSearch {
  action?: string;
  actor?: string;
  from?: string;
  to?: string;
}

/** The API's query for these filters. */
export interface AuditQuery {
  action?: string;
  actorEmail?: string;
  from?: string;
  to?: string;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The start of a day in the viewer's time zone, as an RFC 3339 time; undefined if no day. */
function startOfDay(day: string | undefined, plusDays = 0): string | undefined {
  const match = day ? DAY.exec(day) : null;
  if (!match) return undefined;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + plusDays);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** From the address to the API: "To" takes in its whole day (the API's `to` is exclusive). */
export function auditQuery(search: AuditSearch): AuditQuery {
  const query: AuditQuery = {
    action: search.action,
    actorEmail: search.actor?.trim() || undefined,
    from: startOfDay(search.from),
    to: startOfDay(search.to, 1),
  };
  return Object.fromEntries(
    Object.entries(query).filter(([, value]) => value !== undefined),
  ) as AuditQuery;
}

/** The export's address, same origin: the session cookie goes along with the download. */
export function exportHref(slug: string, format: "jsonl" | "csv", query: AuditQuery): string {
  const params = new URLSearchParams({ format, ...query });
  return `/api/v1/organizations/${encodeURIComponent(slug)}/audit-events/export?${params}`;
}

/** Action and actor take a row each on a phone; the two days share one. */
const WIDE_ON_PHONE = "col-span-2 sm:col-span-1";

const control =
  "rounded-md border border-slate-400 bg-white px-3 py-2 text-sm text-slate-900 w-full";

/** A label above its control, tied by id (a wrapping label would add the value to the name). */
function Labelled({
  label,
  className = "",
  children,
}: {
  label: string;
  className?: string;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className={`flex flex-col gap-1 ${className}`}>
      <label htmlFor={id} className="text-sm font-medium text-slate-800">
        {label}
      </label>
      {children(id)}
    </div>
  );
}

/**
 * The action, actor and time range. Each change replaces the address's search; the email is
 * taken once typing pauses (or on Enter), not letter by letter.
 */
export function AuditFilters({
  search,
  onChange,
}: {
  search: AuditSearch;
  onChange: (search: AuditSearch) => void;
}) {
  const [actor, setActor] = useState(search.actor ?? "");
  const committed = useRef(search.actor ?? "");
  // Back, Forward or Clear changed the address: the field follows it.
  useEffect(() => {
    if ((search.actor ?? "") !== committed.current) {
      committed.current = search.actor ?? "";
      setActor(committed.current);
    }
  }, [search.actor]);
  const commitActor = (value: string) => {
    const trimmed = value.trim();
    if (trimmed === committed.current) return;
    committed.current = trimmed;
    onChange({ ...search, actor: trimmed || undefined });
  };
  const latest = useRef(commitActor);
  latest.current = commitActor;
  useEffect(() => {
    const timer = setTimeout(() => latest.current(actor), 600);
    return () => clearTimeout(timer);
  }, [actor]);
  const set = (field: keyof AuditSearch) => (value: string) =>
    onChange({ ...search, [field]: value || undefined });
  const filtered = Object.values(search).some(Boolean);
  return (
    <form
      aria-label="Filter events"
      className="grid grid-cols-2 items-end gap-4 lg:grid-cols-[minmax(0,1.2fr)_minmax(0,1.4fr)_minmax(0,1fr)_minmax(0,1fr)_auto]"
      onSubmit={(event) => {
        event.preventDefault();
        commitActor(actor);
      }}
    >
      <Labelled label="Action" className={WIDE_ON_PHONE}>
        {(id) => (
          <select
            id={id}
            className={control}
            value={search.action ?? ""}
            onChange={(event) => set("action")(event.target.value)}
          >
            <option value="">All actions</option>
            {ACTIONS.map((action) => (
              <option key={action} value={action}>
                {actionLabel(action)}
              </option>
            ))}
          </select>
        )}
      </Labelled>
      <div className={WIDE_ON_PHONE}>
        <TextField
          label="Actor email"
          type="email"
          value={actor}
          onChange={setActor}
          onBlur={() => commitActor(actor)}
          autoComplete="off"
        />
      </div>
      <Labelled label="From">
        {(id) => (
          <input
            id={id}
            type="date"
            className={control}
            value={search.from ?? ""}
            max={search.to}
            onChange={(event) => set("from")(event.target.value)}
          />
        )}
      </Labelled>
      <Labelled label="To">
        {(id) => (
          <input
            id={id}
            type="date"
            className={control}
            value={search.to ?? ""}
            min={search.from}
            onChange={(event) => set("to")(event.target.value)}
          />
        )}
      </Labelled>
      {filtered && (
        <Button
          variant="secondary"
          className="col-span-2 justify-self-start lg:col-span-1"
          onPress={() => onChange({})}
        >
          Clear filters
        </Button>
      )}
    </form>
  );
}
