import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { ownerWithOrganization } from "../../test/support/invitations.js";
import {
  type Client,
  expectError,
  type Reply,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import { hashApiKey } from "./api-key-secret.js";

const t = await startTestApp();

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

interface CreatedKey {
  apiKey: {
    id: string;
    name: string;
    prefix: string;
    organizationId: string | null;
    createdAt: string;
    lastUsedAt: string | null;
    expiresAt: string;
  };
  secret: string;
}

async function createKey(client: Client, body: Record<string, unknown> = { name: "CI deploy" }) {
  const reply = await client.post("/me/api-keys", body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as CreatedKey;
}

/** A script holding the key: no cookie, no Origin. */
function withKey(secret: string) {
  return { authorization: `Bearer ${secret}`, origin: undefined };
}

function inFuture(ms: number): string {
  return new Date(t.clock.now().getTime() + ms).toISOString();
}

function auditEvents(userId: string, action: string) {
  return t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("subject_user_id", "=", userId)
    .where("action", "=", action)
    .execute();
}

/** Every row of every table of the database, as text. */
async function wholeDatabaseAsText(): Promise<string> {
  const db = t.app.deps.db;
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`.execute(db);
  expect(tables.rows.map((r) => r.table_name)).toContain("api_keys");
  const dumps: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql`SELECT * FROM ${sql.table(table_name)}`.execute(db);
    dumps.push(JSON.stringify(rows.rows));
  }
  return dumps.join("\n");
}

describe("POST /me/api-keys", () => {
  it("creates a key and shows its secret once: atr_…, with a 12-character prefix and a 90-day life", async () => {
    const { client } = await signUpUser(t);
    const reply = await client.post("/me/api-keys", { name: "  CI deploy  " });
    expect(reply.status).toBe(201);
    const { apiKey, secret } = reply.body as CreatedKey;
    expect(Object.keys(reply.body).sort()).toEqual(["apiKey", "secret"]);
    expect(secret).toMatch(/^atr_[0-9A-Za-z]{49}$/);
    expect(apiKey).toEqual({
      id: expect.stringMatching(/^key_[0-9a-z]{26}$/),
      name: "CI deploy",
      prefix: secret.slice(0, 12),
      organizationId: null,
      createdAt: t.clock.now().toISOString(),
      lastUsedAt: null,
      expiresAt: inFuture(90 * DAY),
    });
    expect(Date.parse(apiKey.expiresAt) - Date.parse(apiKey.createdAt)).toBe(90 * DAY);

    const again = await createKey(client);
    expect(again.secret).not.toBe(secret);
    expect(again.apiKey.id).not.toBe(apiKey.id);
  });

  it("accepts an expiry up to 365 days away and refuses one in the past, now or further away", async () => {
    const { client } = await signUpUser(t);
    const almostAYear = inFuture(365 * DAY - MINUTE);
    const created = await createKey(client, { name: "yearly", expiresAt: almostAYear });
    expect(created.apiKey.expiresAt).toBe(almostAYear);
    expect(
      (await createKey(client, { name: "short", expiresAt: inFuture(MINUTE) })).apiKey,
    ).toBeDefined();

    for (const expiresAt of [
      inFuture(-1000),
      inFuture(-400 * DAY),
      t.clock.now().toISOString(),
      inFuture(365 * DAY + MINUTE),
      inFuture(3650 * DAY),
      "tomorrow",
      "2030-13-01T00:00:00Z",
    ]) {
      expectError(
        await client.post("/me/api-keys", { name: "bad", expiresAt }),
        400,
        "invalid_request",
        expiresAt,
      );
    }
    expect((await client.get("/me/api-keys")).body.items).toHaveLength(2);
  });

  it("refuses unknown fields, a missing or blank name and wrong types with 400", async () => {
    const { client } = await signUpUser(t);
    for (const body of [
      { name: "ci", scopes: ["admin"] },
      { name: "ci", userId: "usr_00000000000000000000000000" },
      { name: "ci", secret: "atr_chosen" },
      {},
      { name: "" },
      { name: "   " },
      { name: "tab\tname" },
      { name: "n".repeat(101) },
      { name: 42 },
      { name: "ci", expiresAt: 1_900_000_000 },
      { name: "ci", organizationId: null },
    ]) {
      expectError(
        await client.post("/me/api-keys", body),
        400,
        "invalid_request",
        JSON.stringify(body),
      );
    }
    expect((await client.get("/me/api-keys")).body.items).toEqual([]);
  });

  it("needs a fresh session: an hour after sign-in it answers 403 session_not_fresh until re-authentication", async () => {
    const { client, password } = await signUpUser(t);
    t.clock.advance(61 * MINUTE);
    expectError(await client.post("/me/api-keys", { name: "late" }), 403, "session_not_fresh");
    expect((await client.get("/me/api-keys")).body.items).toEqual([]);

    expect((await client.post("/auth/reauthenticate", { password })).status).toBe(200);
    await createKey(client, { name: "late" });
  });

  it("binds a key to an organization of the account, by id or slug, and answers 404 for any other", async () => {
    const owner = await ownerWithOrganization(t);
    const stranger = await ownerWithOrganization(t, { name: "Other Corp" });

    const bound = await createKey(owner.client, { name: "acme", organizationId: owner.org.id });
    expect(bound.apiKey.organizationId).toBe(owner.org.id);
    const bySlug = await createKey(owner.client, { name: "acme", organizationId: owner.org.slug });
    expect(bySlug.apiKey.organizationId).toBe(owner.org.id);

    for (const organizationId of [
      stranger.org.id,
      stranger.org.slug,
      "org_00000000000000000000000000",
    ]) {
      expectError(
        await owner.client.post("/me/api-keys", { name: "theirs", organizationId }),
        404,
        "not_found",
        organizationId,
      );
    }
    expect((await owner.client.get("/me/api-keys")).body.items).toHaveLength(2);
  });

  it("stores only the secret's SHA-256 and its prefix: the secret is in no column of any table", async () => {
    const { client, user } = await signUpUser(t);
    const { apiKey, secret } = await createKey(client);
    await t.flushMail();

    const row = await t.app.deps.db
      .selectFrom("api_keys")
      .selectAll()
      .where("id", "=", apiKey.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      user_id: user.id,
      name: "CI deploy",
      prefix: secret.slice(0, 12),
      secret_hash: hashApiKey(secret),
      revoked_at: null,
    });
    const everything = await wholeDatabaseAsText();
    expect(everything).not.toContain(secret);
    // Not even the part that is never shown (after the 12-character prefix).
    expect(everything).not.toContain(secret.slice(12));
    expect(everything).not.toContain(secret.slice(12, 30));
  });

  it("emails the account a notice naming the key, without its secret", async () => {
    const { client, email } = await signUpUser(t);
    await t.flushMail();
    const before = t.mailbox.to(email).length;
    const { apiKey, secret } = await createKey(client, { name: "Nightly backup" });
    await t.flushMail();

    const notices = t.mailbox.to(email).slice(before);
    expect(notices).toHaveLength(1);
    const notice = notices[0]!;
    expect(notice.subject).toMatch(/API key/);
    expect(notice.text).toContain("Nightly backup");
    expect(notice.text).toContain(apiKey.prefix);
    for (const part of [notice.subject, notice.text, notice.html]) {
      expect(part).not.toContain(secret);
      expect(part).not.toContain(secret.slice(12));
    }
  });

  it("records api_key.created with the key as target and no secret in the event", async () => {
    const { client, user } = await signUpUser(t);
    const { apiKey, secret } = await createKey(client, { name: "audited" });

    const events = await auditEvents(user.id, "api_key.created");
    expect(events).toEqual([
      expect.objectContaining({
        actor_type: "user",
        actor_id: user.id,
        target_type: "api_key",
        target_id: apiKey.id,
        metadata: expect.objectContaining({ name: "audited", prefix: apiKey.prefix }),
      }),
    ]);
    expect(JSON.stringify(events)).not.toContain(secret.slice(12));
    const ownLog = await client.get("/me/audit-events");
    expect(ownLog.status).toBe(200);
    expect(JSON.stringify(ownLog.body)).toContain("api_key.created");
    expect(JSON.stringify(ownLog.body)).not.toContain(secret.slice(12));
  });

  it("answers 401 without a session", async () => {
    expectError(await t.client().post("/me/api-keys", { name: "anon" }), 401, "unauthenticated");
    expectError(await t.client().get("/me/api-keys"), 401, "unauthenticated");
  });
});

describe("GET /me/api-keys", () => {
  it("lists the account's own keys with name, prefix, dates and organization, never a secret", async () => {
    const owner = await ownerWithOrganization(t);
    const first = await createKey(owner.client, { name: "first" });
    t.clock.advance(1000); // ids sort by time: a second apart, the list order is known
    const second = await createKey(owner.client, {
      name: "second",
      organizationId: owner.org.id,
      expiresAt: inFuture(7 * DAY),
    });
    const other = await signUpUser(t);
    await createKey(other.client, { name: "someone else's" });

    const reply = await owner.client.get("/me/api-keys");
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ items: [first.apiKey, second.apiKey], nextCursor: null });
    const text = JSON.stringify(reply.body);
    for (const { secret } of [first, second]) expect(text).not.toContain(secret.slice(12));
    expect(text).not.toContain("secret");
  });

  it("pages through the keys with limit and nextCursor", async () => {
    const { client } = await signUpUser(t);
    const ids: string[] = [];
    for (const name of ["a", "b", "c"]) {
      ids.push((await createKey(client, { name })).apiKey.id);
      t.clock.advance(1000);
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Reply = await client.get(
        `/me/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((k: { id: string }) => k.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null && seen.length < 10);
    expect(seen).toEqual(ids);
  });
});

describe("DELETE /me/api-keys/{id}", () => {
  it("revokes the key: 204, it leaves the list, stops working and api_key.revoked is recorded", async () => {
    const { client, user } = await signUpUser(t);
    const kept = await createKey(client, { name: "kept" });
    const doomed = await createKey(client, { name: "doomed" });
    const script = t.client();
    expect((await script.get("/me", withKey(doomed.secret))).status).toBe(200);

    expect((await client.delete(`/me/api-keys/${doomed.apiKey.id}`)).status).toBe(204);
    expectError(await script.get("/me", withKey(doomed.secret)), 401, "unauthenticated");
    expect((await client.get("/me/api-keys")).body.items).toEqual([kept.apiKey]);
    expect((await script.get("/me", withKey(kept.secret))).status).toBe(200);

    const events = await auditEvents(user.id, "api_key.revoked");
    expect(events).toEqual([
      expect.objectContaining({ actor_type: "user", target_id: doomed.apiKey.id }),
    ]);
    expectError(await client.delete(`/me/api-keys/${doomed.apiKey.id}`), 404, "not_found");
  });

  it("answers 404 for another account's key and leaves that key working and listed", async () => {
    const attacker = await signUpUser(t);
    const victim = await signUpUser(t);
    const { apiKey, secret } = await createKey(victim.client);

    for (const id of [apiKey.id, "key_00000000000000000000000000"]) {
      expectError(await attacker.client.delete(`/me/api-keys/${id}`), 404, "not_found", id);
    }
    const me = await t.client().get("/me", withKey(secret));
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(victim.user.id);
    expect((await victim.client.get("/me/api-keys")).body.items).toEqual([
      { ...apiKey, lastUsedAt: t.clock.now().toISOString() },
    ]);
    expect(await auditEvents(attacker.user.id, "api_key.revoked")).toEqual([]);
    expect(await auditEvents(victim.user.id, "api_key.revoked")).toEqual([]);
  });
});
