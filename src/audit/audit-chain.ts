import { createHash, createHmac } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { AuditEventRow, DB } from "../db/schema.js";

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
// The algorithm is not hashed: a plain hash cannot pass for a keyed one, nor the reverse.
type Hashed = Omit<StoredAuditEvent, "hash" | "hash_alg">;

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

export type HashAlgorithm = AuditEventRow["hash_alg"];

/**
 * The hash of an event's canonical form (which includes the previous event's hash): SHA-256,
 * which anyone who can write to the database can recompute after an edit, or HMAC-SHA256
 * under ATRIUM_AUDIT_CHAIN_KEY, which only a holder of the key can.
 */
export function eventHash(event: Hashed, key?: string): string {
  const canonical = canonicalForm(event);
  return key === undefined
    ? createHash("sha256").update(canonical).digest("hex")
    : createHmac("sha256", key).update(canonical).digest("hex");
}

// The chain key of each open database handle. The recorder is handed a transaction, not the
// app's configuration; createDeps registers the key here once, for every writer on that handle.
const chainKeys = new WeakMap<Kysely<DB>, string>();

/** Makes every audit event written through this handle keyed (or, with no key, plain). */
export function registerAuditChainKey(db: Kysely<DB>, key: string | undefined): void {
  if (key === undefined) chainKeys.delete(db);
  else chainKeys.set(db, key);
}

export function auditChainKeyOf(db: Kysely<DB>): string | undefined {
  return chainKeys.get(db);
}
