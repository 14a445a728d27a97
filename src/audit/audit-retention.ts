import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Logger } from "pino";
import type { DB } from "../db/schema.js";
import { transaction } from "../db/transaction.js";
import { newId } from "../lib/ids.js";

/**
 * Drops events older than the retention period, a whole leading range of each chain at a
 * time, and records each removal (audit_prunes: up to which event, its hash, how many), so
 * that verification continues from there. The only deletion of audit rows there is.
 */
export async function applyAuditRetention(
  db: Kysely<DB>,
  retentionMs: number,
  now: Date,
  logger?: Logger,
): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionMs);
  const chains = await db
    .selectFrom("audit_events")
    .select("chain_key")
    .where("created_at", "<", cutoff)
    .groupBy("chain_key")
    .execute();
  let removed = 0;
  for (const { chain_key: chainKey } of chains) {
    removed += await transaction(db, async (tx) => {
      await tx.db
        .selectFrom("audit_chains")
        .select("chain_key")
        .where("chain_key", "=", chainKey)
        .forUpdate()
        .execute();
      // The range ends before the first event that is still young, so the chain stays whole.
      const firstKept = await tx.db
        .selectFrom("audit_events")
        .select((eb) => eb.fn.min("seq").as("seq"))
        .where("chain_key", "=", chainKey)
        .where("created_at", ">=", cutoff)
        .executeTakeFirst();
      let through = tx.db
        .selectFrom("audit_events")
        .select(["seq", "hash"])
        .where("chain_key", "=", chainKey)
        .where("created_at", "<", cutoff);
      if (firstKept?.seq != null) through = through.where("seq", "<", Number(firstKept.seq));
      const last = await through.orderBy("seq", "desc").limit(1).executeTakeFirst();
      if (!last) return 0;
      await sql`SET LOCAL atrium.audit_retention = 'on'`.execute(tx.db);
      const deleted = await tx.db
        .deleteFrom("audit_events")
        .where("chain_key", "=", chainKey)
        .where("seq", "<=", Number(last.seq))
        .executeTakeFirst();
      const count = Number(deleted.numDeletedRows);
      await tx.db
        .insertInto("audit_prunes")
        .values({
          id: newId("evt", now.getTime()),
          chain_key: chainKey,
          through_seq: Number(last.seq),
          through_hash: last.hash,
          removed: count,
          cutoff,
          created_at: now,
        })
        .execute();
      return count;
    });
  }
  if (removed > 0)
    logger?.info({ removed, cutoff: cutoff.toISOString() }, "audit retention removed old events");
  return removed;
}
