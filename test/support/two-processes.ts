import type { KyselyPlugin } from "kysely";
import { expect } from "vitest";
import { startTestApp } from "./test-app.js";

/**
 * Two Atrium apps on one database, as two processes behind a load balancer, each with its own
 * cache and clock. Every query the second sends is counted (an observer on the real database,
 * not a stand-in), to show when a request is answered without one.
 */
export async function startTwoProcesses() {
  const queries = { count: 0 };
  const counter: KyselyPlugin = {
    transformQuery: (args) => {
      queries.count++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  const a = await startTestApp();
  const b = await startTestApp({
    database: {
      ...a.database,
      open: async () => {
        const database = await a.database.open();
        return { ...database, db: database.db.withPlugin(counter) };
      },
    },
  });
  // On PostgreSQL each process LISTENs on its own connection, opened in the background; until
  // it is up the cache is bypassed, which would let cache tests pass without testing the cache.
  for (const app of [a, b]) {
    for (let i = 0; i < 250 && !app.app.database.notifications.healthy; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(app.app.database.notifications.healthy).toBe(true);
  }
  return { a, b, queries };
}
