import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { DB } from "../db/schema.js";
import { transaction } from "../db/transaction.js";
import { newId } from "../lib/ids.js";
import {
  deleteChainEventsThrough,
  findFirstSeqSince,
  findLastEventBefore,
  insertAuditPrune,
  listChainKeysWithEventsBefore,
  lockAuditChainHead,
} from "./audit-chain.queries.js";

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
  let removed = 0;
  for (const chainKey of await listChainKeysWithEventsBefore(db, cutoff)) {
    removed += await transaction(db, async (tx) => {
      await lockAuditChainHead(tx.db, chainKey);
      // The range ends before the first event that is still young, so the chain stays whole.
      const firstKept = await findFirstSeqSince(tx.db, chainKey, cutoff);
      const last = await findLastEventBefore(tx.db, chainKey, cutoff, firstKept);
      if (!last) return 0;
      const count = await deleteChainEventsThrough(tx.db, chainKey, Number(last.seq));
      await insertAuditPrune(tx.db, {
        id: newId("evt", now.getTime()),
        chain_key: chainKey,
        through_seq: Number(last.seq),
        through_hash: last.hash,
        removed: count,
        cutoff,
        created_at: now,
      });
      return count;
    });
  }
  if (removed > 0)
    logger?.info({ removed, cutoff: cutoff.toISOString() }, "audit retention removed old events");
  return removed;
}
