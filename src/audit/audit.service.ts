import { Readable } from "node:stream";
import type { PersonCaller } from "../access/caller.js";
import { authorize, keyBindingOf } from "../access/policy.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import { readPage } from "../lib/page.js";
import { openOrganization } from "../organizations/organization-access.js";
import {
  type AuditFilter,
  actorIdsOfUser,
  auditEventBatches,
  listAuditEvents,
} from "./audit.queries.js";
import type { StoredAuditEvent } from "./audit-chain.js";
import { CSV_HEADER, toAuditEvent, toCsvLine } from "./audit-event.js";

export interface AuditQuery {
  action?: string | undefined;
  actorId?: string | undefined;
  actorEmail?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

function timeParam(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw fail("invalid_request", `${field} must be an RFC 3339 time.`, {
      details: [{ field, problem: "is not a time" }],
    });
  }
  return date;
}

/** How a row is shown to the reader: as stored, or with someone else's address hidden. */
type Presenter = (row: StoredAuditEvent) => StoredAuditEvent;

const asStored: Presenter = (row) => row;

/**
 * An account reading its own log sees what others did to it (a role change, a removal), but
 * not where they did it from: their address and user agent are theirs, not the reader's.
 */
function hidingOthersAddresses(ownActorIds: Set<string>): Presenter {
  return (row) =>
    row.actor_id !== null && ownActorIds.has(row.actor_id)
      ? row
      : { ...row, ip_address: null, user_agent: null };
}

/**
 * The organization's events for its owners and admins, or the account's own events (only
 * those within its organization for a key bound to one).
 */
async function scopeFor(
  deps: Deps,
  auth: PersonCaller,
  ref: string | undefined,
  query: AuditQuery,
  now: Date,
): Promise<{ filter: AuditFilter; present: Presenter }> {
  let scope: AuditFilter["scope"];
  let present = asStored;
  if (ref === undefined) {
    scope = {
      subjectUserId: auth.user.id,
      withinOrganizationId: keyBindingOf(auth) ?? undefined,
    };
    present = hidingOthersAddresses(await actorIdsOfUser(deps.db, auth.user.id));
  } else {
    const organization = await openOrganization(deps.db, ref, auth);
    authorize(deps, auth, organization, { type: "audit:read" }, now);
    scope = { organizationId: organization.organization.id };
  }
  const filter = {
    scope,
    action: query.action,
    actorId: query.actorId,
    // As typed: surrounding spaces dropped, composed as stored addresses are (NFC).
    actorEmail: query.actorEmail?.trim().normalize("NFC") || undefined,
    from: timeParam(query.from, "from"),
    to: timeParam(query.to, "to"),
  };
  return { filter, present };
}

export async function listEvents(
  deps: Deps,
  auth: PersonCaller,
  ref: string | undefined,
  query: AuditQuery & { limit: number; cursor?: string | undefined },
  now: Date,
) {
  const { filter, present } = await scopeFor(deps, auth, ref, query, now);
  return readPage(
    query.limit,
    (limit) => listAuditEvents(deps.db, filter, { limit, beforeId: query.cursor }),
    (row) => toAuditEvent(present(row)),
  );
}

/**
 * Events as JSON Lines or CSV text, one chunk per database batch (not per event: a million
 * tiny writes would cost more than the queries).
 */
export async function* exportChunks(
  db: Deps["db"],
  filter: AuditFilter,
  format: "jsonl" | "csv",
  present: Presenter = asStored,
): AsyncGenerator<string> {
  if (format === "csv") yield CSV_HEADER;
  for await (const stored of auditEventBatches(db, filter)) {
    const batch = stored.map(present);
    yield format === "csv"
      ? batch.map(toCsvLine).join("")
      : batch.map((row) => `${JSON.stringify(toAuditEvent(row))}\n`).join("");
  }
}

/**
 * The same events as a stream of JSON Lines or CSV, read in batches: an export of millions
 * of events holds one batch in memory, and a client that reads slowly slows the reads.
 */
export async function exportEvents(
  deps: Deps,
  auth: PersonCaller,
  ref: string | undefined,
  query: AuditQuery & { format: "jsonl" | "csv" },
  now: Date,
): Promise<Readable> {
  const { filter, present } = await scopeFor(deps, auth, ref, query, now);
  return Readable.from(exportChunks(deps.db, filter, query.format, present), {
    objectMode: false,
    highWaterMark: 1,
  });
}
