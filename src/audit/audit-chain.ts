import { createHash } from "node:crypto";
import type { Selectable } from "kysely";
import type { AuditEventRow } from "../db/schema.js";

/** The previous hash of a chain's first event. */
export const GENESIS_HASH = "0".repeat(64);

/** An event belongs to its organization's chain, else its account's, else the system's. */
export function chainKeyFor(event: {
  organization_id: string | null;
  subject_user_id: string | null;
}): string {
  if (event.organization_id) return event.organization_id;
  if (event.subject_user_id) return `user:${event.subject_user_id}`;
  return "system";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export type StoredAuditEvent = Selectable<AuditEventRow>;
type Hashed = Omit<StoredAuditEvent, "hash">;

/**
 * The canonical form of an event: every stored field in a fixed order, metadata with sorted
 * keys, the time in ISO form. The same bytes come out whether computed before the insert or
 * from the row read back, on either database.
 */
export function canonicalForm(event: Hashed): string {
  return JSON.stringify([
    event.id,
    event.chain_key,
    Number(event.seq),
    event.prev_hash,
    event.action,
    event.actor_type,
    event.actor_id,
    event.actor_email,
    event.subject_user_id,
    event.organization_id,
    event.target_type,
    event.target_id,
    event.ip_address,
    event.user_agent,
    event.request_id,
    sortKeys(event.metadata),
    event.created_at.toISOString(),
  ]);
}

/** sha256 over the previous event's hash and this event's canonical form (which includes it). */
export function eventHash(event: Hashed): string {
  return createHash("sha256").update(canonicalForm(event)).digest("hex");
}
