import { createHmac } from "node:crypto";
import { type Kysely, sql, type Transaction } from "kysely";
import { describe, expect, it } from "vitest";
import { ownerWithOrganization } from "../../test/support/invitations.js";
import { startTestApp, type TestApp } from "../../test/support/test-app.js";
import { ConfigError, loadConfig } from "../config.js";
import type { DB } from "../db/schema.js";
import { runOperatorCommand } from "../operator/operator-commands.js";
import { canonicalForm, eventHash, type StoredAuditEvent } from "./audit-chain.js";
import type { ChainHead } from "./audit-heads.js";
import { verifyAuditChains } from "./audit-verify.js";

const KEY = "a-test-key-for-the-audit-hash-chains";

/** An instance with the key, on a database of its own. */
const keyed = await startTestApp({ env: { ATRIUM_AUDIT_CHAIN_KEY: KEY } });
/** A second process on the same database, started without the key (a writer that lacks it). */
const keyless = await startTestApp({ database: keyed.database });
/** An instance that never had a key, for comparison. */
const plain = await startTestApp();
/** An instance that ran without the key, and the same database run again with it. */
const before = await startTestApp();
const after = await startTestApp({
  database: before.database,
  env: { ATRIUM_AUDIT_CHAIN_KEY: KEY },
});

async function chainOf(db: Kysely<DB>, chainKey: string) {
  return (await db
    .selectFrom("audit_events")
    .selectAll()
    .where("chain_key", "=", chainKey)
    .orderBy("seq")
    .execute()) as StoredAuditEvent[];
}

/** An organization whose chain holds five events: created, owner added, three renames. */
async function organizationChain(app: TestApp) {
  const owner = await ownerWithOrganization(app);
  for (const name of ["First", "Second", "Third"]) {
    expect((await owner.client.patch(`/organizations/${owner.org.id}`, { name })).status).toBe(200);
  }
  const events = await chainOf(app.app.deps.db, owner.org.id);
  expect(events.map((e) => Number(e.seq))).toEqual([1, 2, 3, 4, 5]);
  return { ...owner, events };
}

/**
 * What an intruder with write access but without the key can do: change an event and
 * recompute it and every later event with plain SHA-256, relinking the chain and its head.
 */
async function rewriteWithoutKey(
  db: Kysely<DB>,
  chainKey: string,
  fromSeq: number,
  options: { claimKeyed?: boolean } = {},
) {
  const events = await chainOf(db, chainKey);
  await db.transaction().execute(async (trx: Transaction<DB>) => {
    await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`.execute(trx);
    let previous = events[fromSeq - 2]?.hash ?? "0".repeat(64);
    for (const event of events.slice(fromSeq - 1)) {
      const changed = {
        ...event,
        prev_hash: previous,
        metadata:
          Number(event.seq) === fromSeq ? { ...event.metadata, name: "Forged" } : event.metadata,
      };
      const hash = eventHash(changed);
      await trx
        .updateTable("audit_events")
        .set({
          prev_hash: previous,
          metadata: JSON.stringify(changed.metadata),
          hash,
          hash_alg: options.claimKeyed ? "hmac-sha256" : "sha256",
        })
        .where("id", "=", event.id)
        .execute();
      previous = hash;
    }
    await trx
      .updateTable("audit_chains")
      .set({ last_hash: previous })
      .where("chain_key", "=", chainKey)
      .execute();
    await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`.execute(trx);
  });
}

describe("ATRIUM_AUDIT_CHAIN_KEY", () => {
  it("is unset by default, at least 32 characters, and never echoed when refused", () => {
    expect(loadConfig({}).auditChainKey).toBeUndefined();
    expect(loadConfig({ ATRIUM_AUDIT_CHAIN_KEY: KEY }).auditChainKey).toBe(KEY);
    const exactly32 = "a-secret-of-exactly-32-character";
    expect(exactly32.length).toBe(32);
    expect(loadConfig({ ATRIUM_AUDIT_CHAIN_KEY: exactly32 }).auditChainKey).toBe(exactly32);
    const tooShort = exactly32.slice(1);
    expect(() => loadConfig({ ATRIUM_AUDIT_CHAIN_KEY: tooShort })).toThrow(ConfigError);
    expect(() => loadConfig({ ATRIUM_AUDIT_CHAIN_KEY: tooShort })).toThrow(
      /^ATRIUM_AUDIT_CHAIN_KEY must be at least 32 characters$/,
    );
  });
});

describe("a keyed audit chain", () => {
  it("hashes every event with HMAC-SHA256 under the key, and verifies with it", async () => {
    const { events, org } = await organizationChain(keyed);
    for (const event of events) {
      expect(event.hash_alg).toBe("hmac-sha256");
      expect(event.hash).toBe(createHmac("sha256", KEY).update(canonicalForm(event)).digest("hex"));
      expect(event.hash).not.toBe(eventHash(event));
    }
    const result = await verifyAuditChains(keyed.app.deps.db, { chainKey: org.id });
    expect(result).toMatchObject({ chains: 1, events: 5, broken: [] });
    expect((await verifyAuditChains(keyed.app.deps.db)).broken).toEqual([]);
  });

  it("cannot be checked without the key: verification says so instead of passing", async () => {
    const { org, events } = await organizationChain(keyed);
    const result = await verifyAuditChains(keyless.app.deps.db, { chainKey: org.id });
    expect(result.broken).toEqual([
      {
        chainKey: org.id,
        seq: 1,
        eventId: events[0]?.id,
        reason: expect.stringContaining("ATRIUM_AUDIT_CHAIN_KEY is not set"),
      },
    ]);
  });

  it("catches an edit recomputed with plain SHA-256 from the middle of a keyed chain", async () => {
    const { org, events } = await organizationChain(keyed);
    await rewriteWithoutKey(keyed.app.deps.db, org.id, 3);
    const result = await verifyAuditChains(keyed.app.deps.db, { chainKey: org.id });
    expect(result.broken).toEqual([
      {
        chainKey: org.id,
        seq: 3,
        eventId: events[2]?.id,
        reason: expect.stringContaining("not keyed though an earlier event of its chain is"),
      },
    ]);
  });

  it("catches a whole chain recomputed with plain SHA-256, or passed off as keyed", async () => {
    const rewritten = await organizationChain(keyed);
    await rewriteWithoutKey(keyed.app.deps.db, rewritten.org.id, 1);
    const whole = await verifyAuditChains(keyed.app.deps.db, { chainKey: rewritten.org.id });
    expect(whole.broken).toEqual([
      {
        chainKey: rewritten.org.id,
        seq: 1,
        eventId: rewritten.events[0]?.id,
        reason: expect.stringContaining("written after keyed events began"),
      },
    ]);

    const disguised = await organizationChain(keyed);
    await rewriteWithoutKey(keyed.app.deps.db, disguised.org.id, 4, { claimKeyed: true });
    const result = await verifyAuditChains(keyed.app.deps.db, { chainKey: disguised.org.id });
    expect(result.broken).toEqual([
      {
        chainKey: disguised.org.id,
        seq: 4,
        eventId: disguised.events[3]?.id,
        reason: "its content does not match its hash (keyed)",
      },
    ]);
  });

  it("is what makes the difference: the same rewrite of a chain without a key goes unnoticed", async () => {
    const { org } = await organizationChain(plain);
    await rewriteWithoutKey(plain.app.deps.db, org.id, 3);
    expect((await verifyAuditChains(plain.app.deps.db, { chainKey: org.id })).broken).toEqual([]);
  });
});

describe("a chain begun before the key was set", () => {
  it("verifies with its plain events first and its keyed events after, and catches a plain event after a keyed one", async () => {
    const owner = await ownerWithOrganization(before);
    // The same database, now run with the key: the chain continues keyed.
    const client = after.client();
    client.cookie = owner.client.cookie;
    expect((await client.patch(`/organizations/${owner.org.id}`, { name: "Keyed" })).status).toBe(
      200,
    );
    const events = await chainOf(after.app.deps.db, owner.org.id);
    expect(events.map((e) => e.hash_alg)).toEqual(["sha256", "sha256", "hmac-sha256"]);
    expect((await verifyAuditChains(after.app.deps.db)).broken).toEqual([]);

    // A process still running without the key appends to the keyed chain: that is caught.
    expect(
      (await owner.client.patch(`/organizations/${owner.org.id}`, { name: "Unkeyed" })).status,
    ).toBe(200);
    const result = await verifyAuditChains(after.app.deps.db, { chainKey: owner.org.id });
    expect(result.broken).toEqual([
      expect.objectContaining({
        seq: 4,
        reason: expect.stringContaining("not keyed though an earlier event of its chain is"),
      }),
    ]);
  });
});

describe("audit heads", () => {
  it("lists every chain's last event number, id, time, hash and algorithm", async () => {
    const { org, events, user } = await organizationChain(keyed);
    const answer = await runOperatorCommand(keyed.app.deps, { command: "audit-heads" });
    expect(answer.status).toBe(200);
    const heads = (answer as { body: { items: ChainHead[] } }).body.items;
    const last = events[4]!;
    expect(heads.find((h) => h.chainKey === org.id)).toEqual({
      chainKey: org.id,
      kind: "organization",
      organization: { id: org.id, slug: org.slug },
      userId: null,
      seq: 5,
      eventId: last.id,
      createdAt: last.created_at.toISOString(),
      hash: last.hash,
      algorithm: "hmac-sha256",
    });
    const account = heads.find((h) => h.chainKey === `user:${user.id}`);
    expect(account).toMatchObject({ kind: "account", userId: user.id, organization: null });
    const [accountEvent] = (await chainOf(keyed.app.deps.db, `user:${user.id}`)).slice(-1);
    expect(account?.hash).toBe(accountEvent?.hash);
    const keys = heads.map((h) => h.chainKey);
    expect(keys).toEqual([...keys].sort());
  });
});

describe("atrium audit verify with saved heads", () => {
  async function savedHeads(app: TestApp) {
    const answer = await runOperatorCommand(app.app.deps, { command: "audit-heads" });
    return (answer as { body: { items: ChainHead[] } }).body.items;
  }
  async function verifyAgainst(app: TestApp, anchors: ChainHead[], org?: string) {
    const answer = await runOperatorCommand(app.app.deps, {
      command: "audit-verify",
      org,
      anchors: anchors.map(({ chainKey, seq, hash }) => ({ chainKey, seq, hash })),
    });
    expect(answer.status).toBe(200);
    return (answer as { body: { ok: boolean; anchors: number; broken: unknown[] } }).body;
  }

  it("passes while the chains still run through their saved heads, events appended since included", async () => {
    const { client, org } = await organizationChain(keyed);
    const heads = await savedHeads(keyed);
    expect((await client.patch(`/organizations/${org.id}`, { name: "Later" })).status).toBe(200);
    // (Other chains of this database were tampered with by the tests above: check this one.)
    const report = await verifyAgainst(keyed, heads, org.slug);
    expect(report).toMatchObject({ ok: true, broken: [], anchors: 1 });
  });

  it("catches a chain rewritten by someone holding the key, which the key alone cannot", async () => {
    const { org, events } = await organizationChain(keyed);
    const heads = await savedHeads(keyed);
    // An insider with the key edits event 3 and recomputes every keyed hash after it.
    await keyed.app.deps.db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`.execute(trx);
      let previous = events[1]!.hash;
      for (const event of events.slice(2)) {
        const changed = { ...event, prev_hash: previous, actor_email: "someone@else.example" };
        const hash = eventHash(changed, KEY);
        await trx
          .updateTable("audit_events")
          .set({ prev_hash: previous, actor_email: changed.actor_email, hash })
          .where("id", "=", event.id)
          .execute();
        previous = hash;
      }
      await trx
        .updateTable("audit_chains")
        .set({ last_hash: previous })
        .where("chain_key", "=", org.id)
        .execute();
      await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`.execute(trx);
    });
    expect((await verifyAuditChains(keyed.app.deps.db, { chainKey: org.id })).broken).toEqual([]);
    const report = await verifyAgainst(keyed, heads, org.slug);
    expect(report.ok).toBe(false);
    expect(report.anchors).toBe(1);
    expect(report.broken).toEqual([
      {
        chainKey: org.id,
        seq: 5,
        eventId: events[4]!.id,
        reason: expect.stringContaining("not the one recorded outside the database"),
      },
    ]);
  });

  it("catches a plain chain rewritten without a key, and a saved head whose event is gone", async () => {
    const { org } = await organizationChain(plain);
    const heads = await savedHeads(plain);
    await rewriteWithoutKey(plain.app.deps.db, org.id, 2);
    const report = await verifyAgainst(plain, heads);
    expect(report.broken).toEqual([
      expect.objectContaining({ chainKey: org.id, seq: 5, reason: expect.any(String) }),
    ]);
    const missing = await verifyAgainst(plain, [{ ...heads[0]!, seq: 10_000 }]);
    expect(missing.broken).toEqual([
      expect.objectContaining({
        seq: 10_000,
        eventId: null,
        reason: expect.stringContaining("is missing"),
      }),
    ]);
  });
});
