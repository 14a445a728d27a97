import { type Insertable, type Kysely, sql, type Transaction } from "kysely";
import type { AuditChainsTable, AuditEventsTable, AuditPrunesTable, DB } from "../db/schema.js";
import type { StoredAuditEvent } from "./audit-chain.js";

type Executor = Kysely<DB> | Transaction<DB>;

// Appending: the head row of each chain, then the event.

export async function insertAuditChainIfNone(
  db: Executor,
  head: Insertable<AuditChainsTable>,
): Promise<void> {
  await db
    .insertInto("audit_chains")
    .values(head)
    .onConflict((oc) => oc.column("chain_key").doNothing())
    .execute();
}

/** Locks a chain's head row: appends to one chain (and its pruning) then run one at a time. */
export function lockAuditChainHead(db: Transaction<DB>, chainKey: string) {
  return db
    .selectFrom("audit_chains")
    .select(["last_seq", "last_hash"])
    .where("chain_key", "=", chainKey)
    .forUpdate()
    .executeTakeFirst();
}

export async function updateAuditChainHead(
  db: Executor,
  chainKey: string,
  head: { last_seq: number; last_hash: string },
): Promise<void> {
  await db.updateTable("audit_chains").set(head).where("chain_key", "=", chainKey).execute();
}

export async function insertAuditEvent(
  db: Executor,
  row: Insertable<AuditEventsTable>,
): Promise<void> {
  await db.insertInto("audit_events").values(row).execute();
}

// Reading the chains: heads, prunes and events in chain order.

/** Every chain's head with its last event and, for an organization's chain, the slug. */
export function listAuditChainHeadRows(db: Executor) {
  return db
    .selectFrom("audit_chains as c")
    .leftJoin("audit_events as e", (join) =>
      join.onRef("e.chain_key", "=", "c.chain_key").onRef("e.seq", "=", "c.last_seq"),
    )
    .leftJoin("organizations as o", "o.id", "c.chain_key")
    .select([
      "c.chain_key",
      "c.last_seq",
      "c.last_hash",
      "e.id as event_id",
      "e.created_at",
      "e.hash_alg",
      "o.slug",
    ])
    .orderBy("c.chain_key")
    .execute();
}

/** Head rows, all or one chain's. */
export function listAuditChains(db: Executor, chainKey?: string) {
  let query = db.selectFrom("audit_chains").selectAll().orderBy("chain_key");
  if (chainKey) query = query.where("chain_key", "=", chainKey);
  return query.execute();
}

/** Chains that have events but no head row (all, or just this one). */
export async function listHeadlessChainKeys(db: Executor, chainKey?: string): Promise<string[]> {
  let query = db
    .selectFrom("audit_events as e")
    .select("e.chain_key")
    .distinct()
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("audit_chains as c")
            .select("c.chain_key")
            .whereRef("c.chain_key", "=", "e.chain_key"),
        ),
      ),
    );
  if (chainKey) query = query.where("e.chain_key", "=", chainKey);
  return (await query.execute()).map((row) => row.chain_key);
}

/** When the first keyed (HMAC) event was written, if any was. */
export async function findFirstKeyedEventTime(db: Executor): Promise<Date | undefined> {
  const first = await db
    .selectFrom("audit_events")
    .select((eb) => eb.fn.min("created_at").as("since"))
    .where("hash_alg", "=", "hmac-sha256")
    .executeTakeFirst();
  return first?.since ? new Date(first.since) : undefined;
}

/** A chain's events from one position through another, in order, at most `limit`. */
export function listChainEvents(
  db: Executor,
  chainKey: string,
  range: { fromSeq: number; throughSeq: number; limit: number },
): Promise<StoredAuditEvent[]> {
  return db
    .selectFrom("audit_events")
    .selectAll()
    .where("chain_key", "=", chainKey)
    .where("seq", ">=", range.fromSeq)
    .where("seq", "<=", range.throughSeq)
    .orderBy("seq")
    .limit(range.limit)
    .execute() as Promise<StoredAuditEvent[]>;
}

/** The events at these chain positions (those that still exist). */
export function findAuditEventsAt(
  db: Executor,
  positions: Array<{ chainKey: string; seq: number }>,
) {
  return db
    .selectFrom("audit_events")
    .select(["chain_key", "seq", "id", "hash"])
    .where((eb) =>
      eb.or(
        positions.map((p) => eb.and([eb("chain_key", "=", p.chainKey), eb("seq", "=", p.seq)])),
      ),
    )
    .execute();
}

/** A chain's latest prune: where its remaining events start. */
export function findLastAuditPrune(db: Executor, chainKey: string) {
  return db
    .selectFrom("audit_prunes")
    .select(["through_seq", "through_hash"])
    .where("chain_key", "=", chainKey)
    .orderBy("through_seq", "desc")
    .limit(1)
    .executeTakeFirst();
}

/** How far each of these chains has been pruned. */
export function listPrunedThrough(db: Executor, chainKeys: string[]) {
  return db
    .selectFrom("audit_prunes")
    .select(["chain_key", (eb) => eb.fn.max("through_seq").as("through_seq")])
    .where("chain_key", "in", chainKeys)
    .groupBy("chain_key")
    .execute();
}

// Retention: the only deletion of audit rows there is.

export async function listChainKeysWithEventsBefore(db: Executor, cutoff: Date): Promise<string[]> {
  const rows = await db
    .selectFrom("audit_events")
    .select("chain_key")
    .where("created_at", "<", cutoff)
    .groupBy("chain_key")
    .execute();
  return rows.map((row) => row.chain_key);
}

/** The position of a chain's first event written at or after `since`, if any. */
export async function findFirstSeqSince(
  db: Executor,
  chainKey: string,
  since: Date,
): Promise<number | undefined> {
  const row = await db
    .selectFrom("audit_events")
    .select((eb) => eb.fn.min("seq").as("seq"))
    .where("chain_key", "=", chainKey)
    .where("created_at", ">=", since)
    .executeTakeFirst();
  return row?.seq == null ? undefined : Number(row.seq);
}

/** A chain's last event written before `cutoff` (and, if given, before position `beforeSeq`). */
export function findLastEventBefore(
  db: Executor,
  chainKey: string,
  cutoff: Date,
  beforeSeq?: number,
) {
  let query = db
    .selectFrom("audit_events")
    .select(["seq", "hash"])
    .where("chain_key", "=", chainKey)
    .where("created_at", "<", cutoff);
  if (beforeSeq !== undefined) query = query.where("seq", "<", beforeSeq);
  return query.orderBy("seq", "desc").limit(1).executeTakeFirst();
}

/**
 * Deletes a chain's events through a position; returns how many. The table's trigger refuses
 * deletions unless the transaction says it is retention's.
 */
export async function deleteChainEventsThrough(
  db: Transaction<DB>,
  chainKey: string,
  throughSeq: number,
): Promise<number> {
  await sql`SET LOCAL atrium.audit_retention = 'on'`.execute(db);
  const deleted = await db
    .deleteFrom("audit_events")
    .where("chain_key", "=", chainKey)
    .where("seq", "<=", throughSeq)
    .executeTakeFirst();
  return Number(deleted.numDeletedRows);
}

export async function insertAuditPrune(
  db: Executor,
  row: Insertable<AuditPrunesTable>,
): Promise<void> {
  await db.insertInto("audit_prunes").values(row).execute();
}
