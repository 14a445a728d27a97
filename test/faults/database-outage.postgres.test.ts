import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { type AtriumProcess, killAllAtrium, startAtrium } from "./support/atrium-process.js";
import { type FreshDatabase, freshDatabase } from "./support/databases.js";
import { type Answer, call, eventually, PASSWORD, PUBLIC_URL, signUp } from "./support/http.js";
import { LISTENER_PORTS_SQL, proxyFor, throughProxy } from "./support/proxied-database.js";
import { type SmtpSink, startSmtpSink } from "./support/smtp-sink.js";
import type { TcpProxy } from "./support/tcp-proxy.js";

/**
 * Issue 12, "Database outage": a TCP proxy between the Atrium processes and PostgreSQL cuts every
 * connection and refuses new ones for 20 s, then lets them through again. Requests fail closed
 * (503 with Retry-After, never a 500, never a hang past the query timeout), /readyz goes 503
 * then 200, and the pool, the listener and the outbox worker recover by themselves.
 */

const OUTAGE_MS = 20_000;
const STATEMENT_TIMEOUT = "2s";
const CONNECT_TIMEOUT = "2s";
// The statement timeout, the client's 1 s grace for a silent server, and slack.
const ANSWER_BOUND_MS = 2000 + 1000 + 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let database: FreshDatabase | undefined;
let proxy: TcpProxy | undefined;
let sink: SmtpSink | undefined;
afterEach(async () => {
  await killAllAtrium();
  await proxy?.close();
  await sink?.close();
  await database?.drop();
});

function env(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    PUBLIC_URL,
    SMTP_URL: sink!.url,
    ATRIUM_DB_STATEMENT_TIMEOUT: STATEMENT_TIMEOUT,
    ATRIUM_DB_CONNECT_TIMEOUT: CONNECT_TIMEOUT,
  };
}

async function signIn(base: string, email: string): Promise<string> {
  const answer = await call(base, "POST", "/auth/sign-in", { body: { email, password: PASSWORD } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.cookie!;
}

async function currentSessionId(base: string, cookie: string): Promise<string> {
  const answer = await call(base, "GET", "/me/sessions", { cookie });
  expect(answer.status).toBe(200);
  return answer.body.items.find((s: { current: boolean }) => s.current).id;
}

async function listenerPorts(): Promise<number[]> {
  const admin = new pg.Client({ connectionString: database!.url });
  await admin.connect();
  try {
    return (await admin.query<{ client_port: number }>(LISTENER_PORTS_SQL)).rows.map(
      (row) => row.client_port,
    );
  } finally {
    await admin.end();
  }
}

/** Polls `cookie` on `process` until refused; returns how long that took. */
async function refusedWithin(process: AtriumProcess, cookie: string, since: number) {
  for (let i = 0; i < 200; i++) {
    const answer = await call(process.url, "GET", "/me", { cookie });
    if (answer.status === 401) {
      expect(answer.body?.error?.code).toBe("unauthenticated");
      return performance.now() - since;
    }
    expect(answer.status, `${process.name}: ${JSON.stringify(answer.body)}`).toBe(200);
    await sleep(20);
  }
  throw new Error(`${process.name} kept accepting a revoked session`);
}

function stillRunning(process: AtriumProcess): Promise<boolean> {
  return Promise.race([process.exited.then(() => false), sleep(10).then(() => true)]);
}

describe("a database outage", () => {
  it("fails closed for 20 s and recovers by itself: pool, listener and outbox worker", async () => {
    database = await freshDatabase();
    proxy = await proxyFor(database.url!);
    sink = await startSmtpSink();
    const viaProxy = throughProxy(database.url!, proxy);
    const a = await startAtrium({ name: "A", env: env(viaProxy) });
    const b = await startAtrium({ name: "B", env: env(viaProxy) });

    const email = "outage@example.com";
    const laptop = (await signUp(a.url, email)).cookie;
    const phone = await signIn(a.url, email);
    await eventually("the verification email", () =>
      sink!.messages().some((m) => m.to.includes(email)) ? true : undefined,
    );

    proxy.refuse(true);
    proxy.cut();
    const outageStart = performance.now();
    await sleep(100);
    const answers: Array<Answer & { who: string; path: string; ms: number }> = [];
    while (performance.now() - outageStart < OUTAGE_MS - ANSWER_BOUND_MS) {
      await Promise.all(
        [a, b].flatMap((process) =>
          [
            ["/me", phone],
            ["/me/sessions", laptop],
            ["/readyz", undefined],
          ].map(async ([path, cookie]) => {
            const started = performance.now();
            const answer = await call(process.url, "GET", path!, {
              cookie,
              timeoutMs: ANSWER_BOUND_MS * 2,
            });
            answers.push({
              ...answer,
              who: process.name,
              path: path!,
              ms: performance.now() - started,
            });
          }),
        ),
      );
      await sleep(250);
    }
    expect(answers.length).toBeGreaterThan(20);
    for (const answer of answers) {
      const what = `${answer.path} on ${answer.who}: ${answer.status} ${JSON.stringify(answer.body)} in ${Math.round(answer.ms)} ms`;
      expect(answer.status, what).toBe(503);
      expect(answer.body?.error?.code, what).toBe("unavailable");
      expect(answer.retryAfter, what).not.toBeNull();
      expect(answer.ms, what).toBeLessThan(answer.path === "/readyz" ? 1500 : ANSWER_BOUND_MS);
    }
    await sleep(Math.max(0, OUTAGE_MS - (performance.now() - outageStart)));

    proxy.refuse(false);
    const backAt = performance.now();
    const recovered: Record<string, number> = {};
    await Promise.all(
      [a, b].map(async (process) => {
        await eventually(
          `${process.name} serving again`,
          async () => {
            const ready = await call(process.url, "GET", "/readyz");
            const served = await call(process.url, "GET", "/me/sessions", { cookie: laptop });
            return ready.status === 200 && served.status === 200 ? true : undefined;
          },
          { timeoutMs: 15_000, everyMs: 50 },
        );
        recovered[process.name] = Math.round(performance.now() - backAt);
      }),
    );
    await eventually(
      "both listeners back",
      async () => ((await listenerPorts()).length === 2 ? true : undefined),
      { timeoutMs: 15_000, everyMs: 50 },
    );
    const listenersBack = Math.round(performance.now() - backAt);

    // A revocation right after the outage reaches every process, B with the session cached.
    for (let i = 0; i < 3; i++)
      expect((await call(b.url, "GET", "/me", { cookie: phone })).status).toBe(200);
    const phoneId = await currentSessionId(a.url, phone);
    const revoke = await call(a.url, "DELETE", `/me/sessions/${phoneId}`, { cookie: laptop });
    expect(revoke.status).toBe(204);
    const committedAt = performance.now();
    const lagB = await refusedWithin(b, phone, committedAt);
    expect(lagB).toBeLessThan(1000);
    expect((await call(a.url, "GET", "/me", { cookie: phone })).status).toBe(401);

    // The outbox worker delivers again, without a restart.
    const before = sink.messages().filter((m) => m.to.includes(email)).length;
    expect((await call(b.url, "POST", "/auth/password-reset", { body: { email } })).status).toBe(
      202,
    );
    await eventually(
      "the reset email after the outage",
      () =>
        sink!.messages().filter((m) => m.to.includes(email)).length > before ? true : undefined,
      { timeoutMs: 15_000 },
    );

    for (const process of [a, b]) {
      expect(await stillRunning(process), process.output().slice(-3000)).toBe(true);
      expect(process.output()).not.toMatch(/Unhandled|"level":60/);
    }
    console.info(
      `database outage of ${OUTAGE_MS / 1000} s: ${answers.length} answers during it, all 503 ` +
        `(slowest ${Math.round(Math.max(...answers.map((x) => x.ms)))} ms); after it, serving again ` +
        `in A ${recovered.A} ms, B ${recovered.B} ms; listeners back in ${listenersBack} ms; ` +
        `revocation reached B in ${Math.round(lagB)} ms`,
    );
  });

  it("a frozen listener connection (no FIN, no RST) is replaced, and revocations still reach it", async () => {
    database = await freshDatabase();
    proxy = await proxyFor(database.url!);
    sink = await startSmtpSink();
    const a = await startAtrium({ name: "A", env: env(database.url!) });
    const b = await startAtrium({ name: "B", env: env(throughProxy(database.url!, proxy)) });

    const email = "frozen@example.com";
    const laptop = (await signUp(a.url, email)).cookie;
    const phone = await signIn(a.url, email);
    for (let i = 0; i < 3; i++)
      expect((await call(b.url, "GET", "/me", { cookie: phone })).status).toBe(200);

    const proxied = new Set(proxy.connections().map((c) => c.upstreamLocalPort));
    const listenersOfB = (await listenerPorts()).filter((port) => proxied.has(port));
    expect(listenersOfB).toHaveLength(1);
    const frozenPort = listenersOfB[0]!;
    proxy.freeze((c) => c.upstreamLocalPort === frozenPort);
    const frozenAt = performance.now();

    const revoke = await call(
      a.url,
      "DELETE",
      `/me/sessions/${await currentSessionId(a.url, phone)}`,
      {
        cookie: laptop,
      },
    );
    expect(revoke.status).toBe(204);
    const lag = await refusedWithin(b, phone, performance.now());
    expect(lag).toBeLessThan(1000);
    // B keeps serving meanwhile, from the database.
    expect((await call(b.url, "GET", "/me", { cookie: laptop })).status).toBe(200);

    await eventually(
      "a new listener for B",
      async () => {
        const now = new Set(proxy!.connections().map((c) => c.upstreamLocalPort));
        const ports = (await listenerPorts()).filter(
          (port) => now.has(port) && port !== frozenPort,
        );
        return ports.length === 1 ? true : undefined;
      },
      { timeoutMs: 15_000, everyMs: 50 },
    );
    const replacedAfter = Math.round(performance.now() - frozenAt);
    expect(await stillRunning(b), b.output().slice(-3000)).toBe(true);
    expect(b.output()).toContain("database listener stopped answering; replacing it");
    console.info(
      `frozen listener: revocation refused by B ${Math.round(lag)} ms after its commit; ` +
        `listener replaced ${replacedAfter} ms after the freeze`,
    );
  });
});
