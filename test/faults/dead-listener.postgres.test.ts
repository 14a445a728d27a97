import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Client,
  expectError,
  signUpUser,
  startTestApp,
  type TestApp,
} from "../support/test-app.js";
import { createTestDatabase } from "../support/test-database.js";
import { eventually } from "./support/http.js";
import { behindProxy, LISTENER_PORTS_SQL, proxyFor } from "./support/proxied-database.js";

/**
 * Issue 12, rule 2: a listener connection that silently stops delivering (a NAT or firewall
 * dropping a half-open link, no FIN or RST) is noticed; the process stops trusting its session
 * cache at once, so a revocation committed elsewhere is refused within a second, and the
 * connection is replaced. Process A talks to PostgreSQL directly, process B through a proxy that
 * freezes only B's LISTEN connection.
 */

const database = await createTestDatabase();
const proxy = await proxyFor(database.url!);
afterAll(async () => {
  await proxy.close();
  await database.drop();
});
const a = await startTestApp({ database });
const b = await startTestApp({ database: behindProxy(database, proxy) });
await eventually("both listeners healthy", () =>
  a.app.database.notifications.healthy && b.app.database.notifications.healthy ? true : undefined,
);

function on(app: TestApp, client: Client): Client {
  const moved = app.client({ ip: client.ip, userAgent: client.userAgent });
  moved.cookie = client.cookie;
  return moved;
}

async function signInAgain(user: { email: string; password: string }) {
  const client = a.client();
  expect(
    (await client.post("/auth/sign-in", { email: user.email, password: user.password })).status,
  ).toBe(200);
  return client;
}

async function currentSessionId(client: Client): Promise<string> {
  const reply = await client.get("/me/sessions");
  return reply.body.items.find((s: { current: boolean }) => s.current).id;
}

/** B's listener connections, as the proxy knows them (a frozen one lingers on the server). */
async function listenerPortsOfB(): Promise<number[]> {
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ client_port: number }>(LISTENER_PORTS_SQL);
    const proxied = new Set(proxy.connections().map((c) => c.upstreamLocalPort));
    return rows.map((row) => row.client_port).filter((port) => proxied.has(port));
  } finally {
    await admin.end();
  }
}

describe("a listener connection that silently stops delivering", () => {
  it("is noticed: a revocation is refused within a second, and the connection is replaced", async () => {
    const user = await signUpUser(a);
    const phone = await signInAgain(user);
    const phoneOnB = on(b, phone);
    const laptopOnB = on(b, user.client);
    // Both sessions cached in B.
    for (const client of [phoneOnB, laptopOnB]) {
      expect((await client.get("/me")).status).toBe(200);
      expect((await client.get("/me")).status).toBe(200);
    }
    expect(b.app.deps.sessionCache.size).toBeGreaterThanOrEqual(2);

    const listeners = await listenerPortsOfB();
    expect(listeners).toHaveLength(1);
    const frozenPort = listeners[0]!;
    const frozenAt = performance.now();
    proxy.freeze((c) => c.upstreamLocalPort === frozenPort);

    // Revoked through A just after: B never hears of it on its frozen listener.
    const revoke = await user.client.delete(`/me/sessions/${await currentSessionId(phone)}`);
    expect(revoke.status).toBe(204);
    const committedAt = performance.now();

    let refusedAfter: number | undefined;
    for (let i = 0; i < 100 && refusedAfter === undefined; i++) {
      const reply = await phoneOnB.get("/me");
      if (reply.status === 401) {
        expectError(reply, 401, "unauthenticated");
        refusedAfter = performance.now() - committedAt;
      } else {
        expect(reply.status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    // Within a second of the commit, whatever happened to B's listener.
    expect(refusedAfter).toBeLessThan(1000);
    expect(b.app.database.notifications.healthy).toBe(false);
    const untrustedAfter = performance.now() - frozenAt;

    // Meanwhile B still answers, from the database: the valid session works.
    expect((await laptopOnB.get("/me")).status).toBe(200);

    // Declared dead after 3 s of silence and replaced by a new connection, proven by an echo.
    await eventually(
      "B's listener healthy again",
      () => (b.app.database.notifications.healthy ? true : undefined),
      { timeoutMs: 10_000, everyMs: 20 },
    );
    const recoveredAfter = performance.now() - frozenAt;
    expect((await listenerPortsOfB()).filter((port) => port !== frozenPort)).toHaveLength(1);
    console.info(
      `dead listener: revocation refused ${Math.round(refusedAfter!)} ms after its commit; ` +
        `cache distrusted within ${Math.round(untrustedAfter)} ms of the freeze; ` +
        `listener replaced and healthy ${Math.round(recoveredAfter)} ms after the freeze`,
    );

    // The new listener carries revocations again, and B's cache serves again.
    expectError(await phoneOnB.get("/me"), 401, "unauthenticated");
    const tablet = await signInAgain(user);
    const tabletOnB = on(b, tablet);
    expect((await tabletOnB.get("/me")).status).toBe(200);
    expect((await tabletOnB.get("/me")).status).toBe(200);
    expect(
      (await user.client.delete(`/me/sessions/${await currentSessionId(tablet)}`)).status,
    ).toBe(204);
    const refused = await eventually(
      "the tablet refused on B",
      async () => ((await tabletOnB.get("/me")).status === 401 ? true : undefined),
      { timeoutMs: 1000, everyMs: 20 },
    );
    expect(refused).toBe(true);
  });
});
