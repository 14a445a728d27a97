import { sql } from "kysely";
import type { Tx } from "../db/transaction.js";
import { type AuthChange, encodeAuthChange, type SessionCache } from "./session-cache.js";

/**
 * Announces, inside the transaction that makes it, a change that ends sessions or alters an
 * account: this process evicts its cached copy as soon as the transaction commits, and the
 * NOTIFY, delivered at commit, tells the others. Nothing waits for that delivery: a process
 * whose listener falls behind stops trusting its cache within a second (see database.ts).
 */
export async function publishAuthChange(
  tx: Tx,
  cache: SessionCache,
  change: AuthChange,
): Promise<void> {
  tx.afterCommit(() => cache.apply(change));
  await sql`SELECT pg_notify('atrium_auth', ${encodeAuthChange(change)})`.execute(tx.db);
}
