import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type Client, type Reply, signUpUser, startTestApp } from "../support/test-app.js";
import { killAllAtrium, startAtrium } from "./support/atrium-process.js";
import { type FreshDatabase, freshDatabase } from "./support/databases.js";
import { type Answer, call, eventually, PUBLIC_URL, signUp } from "./support/http.js";

/**
 * Issue 12, rule 1: a PostgreSQL connection that ends during a query (a restart, a failover,
 * pg_terminate_backend) costs only the requests that were using it — a 503 with Retry-After —
 * never the process, and the pool heals by itself.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Ends every backend of `database` but the caller's, `rounds` times; returns how many were
 * terminated and how many of those were in the middle of a query or a transaction.
 */
async function terminateBackends(database: string, rounds: number, everyMs: number) {
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  let terminated = 0;
  let busy = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const { rows } = await admin.query<{ state: string | null }>(
        // Materialized first: the planner may otherwise call pg_terminate_backend before the
        // datname filter, on every backend of the server.
        `WITH targets AS MATERIALIZED (
           SELECT pid, state FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()
         )
         SELECT state FROM targets WHERE pg_terminate_backend(pid)`,
        [database],
      );
      terminated += rows.length;
      busy += rows.filter((row) => row.state !== "idle").length;
      await sleep(everyMs);
    }
  } finally {
    await admin.end();
  }
  return { terminated, busy };
}

/** The one acceptable failure: the contract's 503, code `unavailable`, with Retry-After. */
function expectServedOrUnavailable(status: number, code: unknown, retryAfter: unknown) {
  if (status === 200 || status === 204) return;
  expect({ status, code, retryAfter: typeof retryAfter }).toEqual({
    status: 503,
    code: "unavailable",
    retryAfter: "string",
  });
}

describe("a connection ended during a query, in process", () => {
  it("costs only the requests using it, with 503 and Retry-After; the pool heals", async () => {
    const t = await startTestApp();
    const database = new URL(t.database.url!).pathname.slice(1);
    const users = [];
    for (let i = 0; i < 4; i++) users.push(await signUpUser(t));

    // Reads (the sessions list) and writes (a name change: a transaction with an audit event
    // and a NOTIFY) keep every pooled connection busy while the backends are terminated.
    const replies: Reply[] = [];
    let stop = false;
    const worker = async (client: Client, n: number) => {
      for (let i = 0; !stop && i < 5000; i++) {
        replies.push(
          n % 2 === 0
            ? await client.get("/me/sessions")
            : await client.patch("/me", { name: `Renamed ${n} ${i}` }),
        );
      }
    };
    const load = users.flatMap((user, n) => [worker(user.client, n), worker(user.client, n + 1)]);
    await sleep(100);
    const { terminated, busy } = await terminateBackends(database, 20, 100);
    stop = true;
    await Promise.all(load);

    expect(terminated).toBeGreaterThan(0);
    // Some connections were ended while a request was using them: the case that crashed.
    expect(busy).toBeGreaterThan(0);
    for (const reply of replies) {
      expectServedOrUnavailable(
        reply.status,
        reply.body?.error?.code,
        reply.headers["retry-after"],
      );
    }

    // Healed: every request succeeds again, and the listener is back.
    for (const user of users) expect((await user.client.get("/me/sessions")).status).toBe(200);
    expect((await users[0]!.client.get("/readyz")).status).toBe(200);
    await eventually("the listener back", () =>
      t.app.database.notifications.healthy ? true : undefined,
    );
  });
});

describe("a connection ended during a query, in a real process", () => {
  let fresh: FreshDatabase | undefined;
  afterEach(async () => {
    await killAllAtrium();
    await fresh?.drop();
  });
  afterAll(async () => {
    await killAllAtrium();
  });

  it("does not end the process: it answers 503 meanwhile and 200 afterwards", async () => {
    fresh = await freshDatabase();
    const atrium = await startAtrium({ env: { ...fresh.env, PUBLIC_URL } });
    let exitedEarly = false;
    void atrium.exited.then(() => {
      exitedEarly = true;
    });
    const accounts = [];
    for (let i = 0; i < 4; i++) accounts.push(await signUp(atrium.url, `crash${i}@example.com`));

    const answers: Answer[] = [];
    let stop = false;
    const worker = async (cookie: string, n: number) => {
      for (let i = 0; !stop && !exitedEarly && i < 5000; i++) {
        const answer = await call(
          atrium.url,
          n % 2 === 0 ? "GET" : "PATCH",
          n % 2 === 0 ? "/me/sessions" : "/me",
          n % 2 === 0 ? { cookie } : { cookie, body: { name: `Renamed ${i}` } },
        ).catch((error: Error) => {
          throw new Error(`request failed (${error.message}):\n${atrium.output().slice(-3000)}`);
        });
        answers.push(answer);
      }
    };
    const load = accounts.flatMap((a, n) => [worker(a.cookie, n), worker(a.cookie, n + 1)]);
    await sleep(100);
    const { busy } = await terminateBackends(new URL(fresh.url!).pathname.slice(1), 20, 100);
    stop = true;
    await Promise.all(load);

    expect(busy).toBeGreaterThan(0);
    expect(exitedEarly, atrium.output().slice(-3000)).toBe(false);
    expect(atrium.output()).not.toContain("Unhandled 'error' event");
    for (const answer of answers) {
      expectServedOrUnavailable(answer.status, answer.body?.error?.code, answer.retryAfter);
    }
    for (const account of accounts) {
      const answer = await call(atrium.url, "GET", "/me/sessions", { cookie: account.cookie });
      expect(answer.status).toBe(200);
    }
    expect((await call(atrium.url, "GET", "/readyz")).status).toBe(200);
  });
});
