import type { Tx } from "../db/transaction.js";
import { type AuthChange, encodeAuthChange, type SessionCache } from "./session-cache.js";
import { notifyAuthChange } from "./sessions.queries.js";

/**
 * Announces, inside the transaction that makes it, a change that ends sessions or alters an
 * account: every process evicts its cached copy when the transaction commits, this one at once.
 */
export async function publishAuthChange(
  tx: Tx,
  cache: SessionCache,
  change: AuthChange,
): Promise<void> {
  tx.afterCommit(cache.announce(change));
  await notifyAuthChange(tx.db, encodeAuthChange(change));
}
