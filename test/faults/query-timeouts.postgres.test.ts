import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { type Reply, signUpUser, startTestApp } from "../support/test-app.js";
import { createTestDatabase } from "../support/test-database.js";
import { eventually } from "./support/http.js";
import { behindProxy, proxyFor } from "./support/proxied-database.js";

/**
 * Issue 12, rule 3: on a network that silently drops everything (a blackhole), a request fails
 * with 503 within the configured timeouts instead of hanging, and /readyz answers within a
 * second. Here the app's every connection goes through a TCP proxy that stops forwarding.
 */

const STATEMENT_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 1000;
// The statement timeout, the client's grace for a server that answers nothing (1 s), and slack
// for a loaded machine.
const REQUEST_BOUND_MS = STATEMENT_TIMEOUT_MS + 1000 + 1500;
const READY_BOUND_MS = 1000 + 500;

const database = await createTestDatabase();
const proxy = await proxyFor(database.url!);
afterAll(async () => {
  await proxy.close();
  await database.drop();
});
const t = await startTestApp({
  database: behindProxy(database, proxy, {
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
  }),
});

async function timed(request: () => Promise<Reply>) {
  const started = performance.now();
  const reply = await request();
  return { reply, ms: performance.now() - started };
}

describe("a database behind a blackholed network", () => {
  it("sets the configured statement timeout on every pooled connection", async () => {
    const { rows } = await sql<{ statement_timeout: string }>`SHOW statement_timeout`.execute(
      t.app.database.db,
    );
    expect(rows[0]?.statement_timeout).toBe("1s");
  });

  it("fails requests with 503 within the timeouts, /readyz within a second, and recovers", async () => {
    const users = [await signUpUser(t), await signUpUser(t)];
    const [first, second] = users.map((user) => user.client) as [
      (typeof users)[0]["client"],
      (typeof users)[0]["client"],
    ];
    // Several pooled connections open and idle, as under load.
    await Promise.all([1, 2, 3, 4].map(() => first.get("/me/sessions")));

    proxy.freeze();
    try {
      // Twice: first on the pool's open (now silent) connections, then, once those were given
      // up, on new connections that never complete their start-up.
      for (const wave of ["open connections", "new connections"]) {
        const results = await Promise.all([
          timed(() => first.get("/me/sessions")),
          timed(() => second.get("/me/sessions")),
          timed(() => first.patch("/me", { name: "Renamed in the dark" })),
          timed(() => second.post("/auth/sign-out")),
          timed(() => first.get("/readyz")),
        ]);
        for (const [i, { reply, ms }] of results.entries()) {
          const what = `${wave}, request ${i}: ${JSON.stringify(reply.body)} after ${Math.round(ms)} ms`;
          expect(reply.status, what).toBe(503);
          expect(reply.body?.error?.code, what).toBe("unavailable");
          expect(reply.headers["retry-after"], what).toBeDefined();
          expect(ms, what).toBeLessThan(i === 4 ? READY_BOUND_MS : REQUEST_BOUND_MS);
        }
      }
    } finally {
      proxy.thaw();
    }

    // The pool replaced what it gave up on; the listener came back.
    await eventually(
      "requests answered again",
      async () => ((await first.get("/me/sessions")).status === 200 ? true : undefined),
      { timeoutMs: 15_000 },
    );
    expect((await first.get("/readyz")).status).toBe(200);
    expect((await second.get("/me")).status).toBe(200);
    await eventually("the listener back", () =>
      t.app.database.notifications.healthy ? true : undefined,
    );
  });
});
