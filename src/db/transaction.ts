import type { Kysely, Transaction } from "kysely";
import { isRetryableConflict } from "./errors.js";
import type { DB } from "./schema.js";

/** A transaction plus work to run once it has committed (cache eviction, wake-ups). */
export interface Tx {
  readonly db: Transaction<DB>;
  /** The handle the transaction was opened on (what per-database settings are looked up by). */
  readonly root: Kysely<DB>;
  /** Runs after commit, before the use case returns (awaited when it returns a promise). */
  afterCommit(task: () => void | Promise<void>): void;
}

export interface TransactionOptions {
  /** Serializable transactions are retried (as deadlocks are) when Postgres reports a lost race. */
  isolation?: "read committed" | "serializable";
}

/** Runs `work` in one transaction: every write of a use case, its audit event and its email commit together. */
export async function transaction<T>(
  db: Kysely<DB>,
  work: (tx: Tx) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  // A deadlock (two transactions appending to the same audit chains in opposite orders) or a
  // lost serializable race rolls everything back: running the work again is safe.
  const attempts = 5;
  for (let attempt = 1; ; attempt++) {
    const tasks: Array<() => void | Promise<void>> = [];
    try {
      let builder = db.transaction();
      if (options.isolation) builder = builder.setIsolationLevel(options.isolation);
      const result = await builder.execute((trx) =>
        work({ db: trx, root: db, afterCommit: (task) => tasks.push(task) }),
      );
      for (const task of tasks) await task();
      return result;
    } catch (error) {
      if (attempt >= attempts || !isRetryableConflict(error)) throw error;
    }
  }
}
