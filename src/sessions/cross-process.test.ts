import { describe, expect, it } from "vitest";
import {
  type Client,
  errorCode,
  expectError,
  type Reply,
  signUpUser,
  type TestApp,
} from "../../test/support/test-app.js";
import { startTwoProcesses } from "../../test/support/two-processes.js";

// Two Atrium processes on one database; every query process B sends is counted.
const { a, b, queries } = await startTwoProcesses();

const DAY = 86_400_000;

/** The same browser session, its requests now landing on process B. */
function onB(client: Client): Client {
  const moved = b.client({ ip: client.ip, userAgent: client.userAgent });
  moved.cookie = client.cookie;
  return moved;
}

/** Uses the session on B until B has it cached. */
async function warm(client: Client) {
  const before = b.app.deps.sessionCache.size;
  expect((await client.get("/me")).status).toBe(200);
  expect((await client.get("/me")).status).toBe(200);
  expect(b.app.deps.sessionCache.size).toBeGreaterThan(before);
}

/**
 * B's answer once A's change has reached it. The eviction travels as a NOTIFY sent at commit: on
 * the embedded database (one in-process instance) it is delivered before A's reply returns, on
 * PostgreSQL it arrives on B's listener connection a moment after A's reply, with no ordering
 * to the next query of B. So on PostgreSQL only, B is polled for up to a second.
 */
async function untilSettled(request: () => Promise<Reply>, settled: (r: Reply) => boolean) {
  let reply = await request();
  if (a.app.database.kind === "pglite") return reply;
  for (let waited = 0; !settled(reply) && waited < 1000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    reply = await request();
  }
  return reply;
}

const refused = (r: Reply) => r.status === 401;

async function signInAgain(app: TestApp, user: { email: string; password: string }) {
  const client = app.client();
  const reply = await client.post("/auth/sign-in", { email: user.email, password: user.password });
  expect(reply.status).toBe(200);
  return client;
}

async function currentSessionId(client: Client): Promise<string> {
  const reply = await client.get("/me/sessions");
  return reply.body.items.find((s: { current: boolean }) => s.current).id;
}

describe("two processes on one database", () => {
  it("a process answers repeated requests from its cache without reading the database", async () => {
    const user = await signUpUser(a);
    const onOther = onB(user.client);
    await warm(onOther);

    queries.count = 0;
    for (let i = 0; i < 5; i++) expect((await onOther.get("/me")).status).toBe(200);
    expect(queries.count).toBe(0);

    b.clock.advance(60_000); // a minute on: one write of last_active_at, still no lookup
    expect((await onOther.get("/me")).status).toBe(200);
    expect(queries.count).toBe(1);
  });

  it("a session revoked through one process is refused by the other", async () => {
    const user = await signUpUser(a);
    const phone = await signInAgain(a, user);
    const phoneOnB = onB(phone);
    await warm(phoneOnB);

    const revoke = await user.client.delete(`/me/sessions/${await currentSessionId(phone)}`);
    expect(revoke.status).toBe(204);
    const reply = await untilSettled(() => phoneOnB.get("/me"), refused);
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe("unauthenticated");
    expect((await onB(user.client).get("/me")).status).toBe(200);
  });

  it("signing out through one process ends the session in the other", async () => {
    const user = await signUpUser(a);
    const onOther = onB(user.client);
    await warm(onOther);
    expect((await user.client.post("/auth/sign-out")).status).toBe(204);
    const reply = await untilSettled(() => onOther.get("/me"), refused);
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe("unauthenticated");
  });

  it("a password reset through one process ends every session of the account in the other", async () => {
    const user = await signUpUser(a);
    const laptop = await signInAgain(a, user);
    const devicesOnB = [onB(user.client), onB(laptop)];
    for (const device of devicesOnB) await warm(device);

    expect((await a.client().post("/auth/password-reset", { email: user.email })).status).toBe(202);
    await a.flushMail();
    const token = a.mailbox.tokenFor(user.email, "reset-password");
    const confirm = await a
      .client()
      .post("/auth/password-reset/confirm", { token, password: "a-brand-new-passphrase-77" });
    expect(confirm.status).toBe(204);

    for (const device of devicesOnB) {
      const reply = await untilSettled(() => device.get("/me"), refused);
      expect(reply.status).toBe(401);
      expect(errorCode(reply)).toBe("unauthenticated");
    }
    expect((await laptop.get("/me")).status).toBe(401);
  });

  it("a name changed through one process shows in the other's GET /me", async () => {
    const user = await signUpUser(a, { name: "Ada Lovelace" });
    const onOther = onB(user.client);
    await warm(onOther);
    expect((await onOther.get("/me")).body.name).toBe("Ada Lovelace");

    const patch = await user.client.patch("/me", { name: "Ada King" });
    expect(patch.status).toBe(200);
    const reply = await untilSettled(
      () => onOther.get("/me"),
      (r) => r.body?.name === "Ada King",
    );
    expect(reply.status).toBe(200);
    expect(reply.body.name).toBe("Ada King");
  });
});

describe("an auth change answers as soon as its own process has evicted", () => {
  it("five sign-outs take well under a second, and each still reaches the other process", async () => {
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await signUpUser(a));
    const onOther = users.map((user) => onB(user.client));
    for (const client of onOther) await warm(client);

    // Each waits only for its own NOTIFY to come back, a loopback delivery (the waiter was once
    // never resolved, and every auth change on PostgreSQL took a full second).
    const started = performance.now();
    for (const user of users) expect((await user.client.post("/auth/sign-out")).status).toBe(204);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(1000);

    for (const [i, user] of users.entries()) {
      expect((await user.client.get("/me")).status).toBe(401);
      const reply = await untilSettled(() => onOther[i]!.get("/me"), refused);
      expectError(reply, 401, "unauthenticated");
    }
  });
});

describe("revoking a session while it is being renewed", () => {
  for (const where of ["the same process", "another process"] as const) {
    it(`leaves it revoked when the renewal runs in ${where}`, async () => {
      for (let round = 0; round < 5; round++) {
        const user = await signUpUser(a);
        const phone = await signInAgain(a, user);
        const phoneId = await currentSessionId(phone);
        const renewing = where === "the same process" ? phone : onB(phone);
        expect((await renewing.get("/me")).status).toBe(200);
        a.clock.advance(DAY);
        b.clock.advance(DAY); // both past ATRIUM_SESSION_REFRESH: the next use renews

        const [renewal, revoke] = await Promise.all([
          renewing.get("/me"),
          user.client.delete(`/me/sessions/${phoneId}`),
        ]);
        expect([200, 401]).toContain(renewal.status);
        expect(revoke.status).toBe(204);

        for (const client of [phone, onB(phone)]) {
          const after = await untilSettled(() => client.get("/me"), refused);
          expect(after.status).toBe(401);
          expect(errorCode(after)).toBe("unauthenticated");
        }
        const row = await a.app.deps.db
          .selectFrom("sessions")
          .select("id")
          .where("id", "=", phoneId)
          .executeTakeFirst();
        expect(row).toBeUndefined();
      }
    });
  }
});
