import { describe, expect, it } from "vitest";
import { type Client, expectError, type Reply, signUpUser } from "../../test/support/test-app.js";
import { startTwoProcesses } from "../../test/support/two-processes.js";
import { OPERATOR_CALLER } from "../access/caller.js";
import { setAccountDisabled } from "../accounts/account-admin.js";
import { KEY_PREFIX } from "./api-key-secret.js";

// Two Atrium processes on one database; every query process B sends is counted.
const { a, b, queries } = await startTwoProcesses();

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** A script holding the key: `Authorization: Bearer`, no cookie, no Origin. */
function withKey(secret: string) {
  return { authorization: `Bearer ${secret}`, origin: undefined };
}

async function createKey(client: Client, body: Record<string, unknown> = { name: "script" }) {
  const reply = await client.post("/me/api-keys", body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as { apiKey: { id: string; lastUsedAt: string | null }; secret: string };
}

/** Uses the key on B until B has it cached. */
async function warmOnB(script: Client, secret: string) {
  const before = b.app.deps.sessionCache.size;
  expect((await script.get("/me", withKey(secret))).status).toBe(200);
  expect((await script.get("/me", withKey(secret))).status).toBe(200);
  expect(b.app.deps.sessionCache.size).toBeGreaterThan(before);
}

/**
 * B's answer once A's change has reached it. The eviction travels as a NOTIFY sent at commit: on
 * the embedded database (one in-process instance) it is delivered before A's reply returns, on
 * PostgreSQL it arrives on B's listener connection a moment after A's reply, with no ordering
 * to B's next query. So on PostgreSQL only, B is polled for up to a second.
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

function keyRow(id: string) {
  return a.app.deps.db
    .selectFrom("api_keys")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

describe("checking a key", () => {
  it("refuses a mistyped key with 401 without a single database query", async () => {
    const { client } = await signUpUser(a);
    const { secret } = await createKey(client);
    const script = b.client();
    const index = KEY_PREFIX.length + 5;
    const mistyped =
      secret.slice(0, index) + (secret[index] === "x" ? "y" : "x") + secret.slice(index + 1);

    queries.count = 0;
    for (const authorization of [
      `Bearer ${mistyped}`,
      `Bearer ${secret.slice(0, -1)}`,
      `Bearer ${secret.toLowerCase() === secret ? secret.toUpperCase() : secret.toLowerCase()}`,
      "Bearer garbage",
      "Basic dXNlcjpwYXNz",
    ]) {
      expectError(
        await script.get("/me", { authorization }),
        401,
        "unauthenticated",
        authorization,
      );
    }
    expect(queries.count).toBe(0);
  });

  it("answers a cached key from memory, and writes last_used_at at most once a minute", async () => {
    const { client } = await signUpUser(a);
    const { secret, apiKey } = await createKey(client);
    expect(apiKey.lastUsedAt).toBeNull();
    const script = b.client();
    const firstUse = b.clock.now();
    await warmOnB(script, secret);
    expect((await keyRow(apiKey.id)).last_used_at?.toISOString()).toBe(firstUse.toISOString());

    b.clock.advance(10 * SECOND);
    queries.count = 0;
    expect((await script.get("/me", withKey(secret))).status).toBe(200);
    expect(queries.count).toBe(0); // no lookup, no write
    expect((await keyRow(apiKey.id)).last_used_at?.toISOString()).toBe(firstUse.toISOString());

    b.clock.advance(51 * SECOND); // 61 s after the first use
    expect((await script.get("/me", withKey(secret))).status).toBe(200);
    expect(queries.count).toBe(1); // the one write
    const secondWrite = b.clock.now().toISOString();
    expect((await keyRow(apiKey.id)).last_used_at?.toISOString()).toBe(secondWrite);
    const listed = await client.get("/me/api-keys");
    expect(listed.body.items[0].lastUsedAt).toBe(secondWrite);
  });
});

describe("ending a key", () => {
  it("a key revoked through one process is refused at once there and by the other", async () => {
    const { client } = await signUpUser(a);
    const { secret, apiKey } = await createKey(client);
    const onA = a.client();
    const onB = b.client();
    expect((await onA.get("/me", withKey(secret))).status).toBe(200);
    await warmOnB(onB, secret);

    expect((await client.delete(`/me/api-keys/${apiKey.id}`)).status).toBe(204);
    expectError(await onA.get("/me", withKey(secret)), 401, "unauthenticated");
    const reply = await untilSettled(() => onB.get("/me", withKey(secret)), refused);
    expectError(reply, 401, "unauthenticated");
    expect((await keyRow(apiKey.id)).revoked_at).not.toBeNull();
  });

  it("an expired key is refused with 401 from the moment it expires, even while cached", async () => {
    const { client } = await signUpUser(a);
    const expiresAt = new Date(a.clock.now().getTime() + 2 * HOUR);
    const { secret } = await createKey(client, {
      name: "short",
      expiresAt: expiresAt.toISOString(),
    });
    const script = a.client();
    expect((await script.get("/me", withKey(secret))).status).toBe(200);
    expect((await script.get("/me", withKey(secret))).status).toBe(200);

    a.clock.advance(2 * HOUR - SECOND);
    expect((await script.get("/me", withKey(secret))).status).toBe(200);
    a.clock.advance(SECOND);
    expectError(await script.get("/me", withKey(secret)), 401, "unauthenticated");
    a.clock.advance(HOUR);
    expectError(await script.get("/me", withKey(secret)), 401, "unauthenticated");
  });

  it("disabling the owner's account ends the key at once, in both processes", async () => {
    const { client, email } = await signUpUser(a);
    const { secret } = await createKey(client);
    const onA = a.client();
    const onB = b.client();
    expect((await onA.get("/me", withKey(secret))).status).toBe(200);
    await warmOnB(onB, secret);

    await setAccountDisabled(a.app.deps, OPERATOR_CALLER, email, true);
    expectError(await onA.get("/me", withKey(secret)), 401, "unauthenticated");
    const reply = await untilSettled(() => onB.get("/me", withKey(secret)), refused);
    expectError(reply, 401, "unauthenticated");
  });

  it("deleting the account ends its keys at once, in both processes", async () => {
    const { client } = await signUpUser(a);
    const { secret } = await createKey(client);
    const onA = a.client();
    const onB = b.client();
    expect((await onA.get("/me", withKey(secret))).status).toBe(200);
    await warmOnB(onB, secret);

    expect((await client.delete("/me")).status).toBe(204);
    expectError(await onA.get("/me", withKey(secret)), 401, "unauthenticated");
    const reply = await untilSettled(() => onB.get("/me", withKey(secret)), refused);
    expectError(reply, 401, "unauthenticated");
  });
});
