import { type Kysely, sql, type Transaction } from "kysely";
import { describe, expect, it } from "vitest";
import {
  addMember,
  inviteByLink,
  newAddress,
  ownerWithOrganization,
} from "../../test/support/invitations.js";
import { startTestApp, type TestApp } from "../../test/support/test-app.js";
import { ConfigError, loadConfig } from "../config.js";
import type { DB } from "../db/schema.js";
import { sweepExpired } from "../maintenance.js";
import { runOperatorCommand } from "../operator/operator-commands.js";
import { eventHash, GENESIS_HASH, type StoredAuditEvent } from "./audit-chain.js";
import { applyAuditRetention } from "./audit-retention.js";
import { verifyAuditChains } from "./audit-verify.js";

const t = await startTestApp();
/** Retention drops rows across the whole database: it gets one of its own, never tampered with. */
const r = await startTestApp({ env: { ATRIUM_AUDIT_RETENTION: "15d" } });

const DAY = 24 * 60 * 60_000;
const CONTENT = expect.stringMatching(/content.*hash/);
const UNLINKED = "does not link to the event before it";

async function allEvents(db: Kysely<DB>, chainKey?: string) {
  let query = db.selectFrom("audit_events").selectAll().orderBy("chain_key").orderBy("seq");
  if (chainKey) query = query.where("chain_key", "=", chainKey);
  return (await query.execute()) as StoredAuditEvent[];
}

const seqs = (events: StoredAuditEvent[]) => events.map((e) => Number(e.seq));

/** An organization whose chain holds five events: created, owner added, three renames. */
async function organizationChain(app: TestApp = t) {
  const owner = await ownerWithOrganization(app);
  for (const name of ["First", "Second", "Third"]) {
    const reply = await owner.client.patch(`/organizations/${owner.org.id}`, { name });
    expect(reply.status).toBe(200);
  }
  const events = await allEvents(app.app.deps.db, owner.org.id);
  expect(seqs(events)).toEqual([1, 2, 3, 4, 5]);
  return { ...owner, events, id: (i: number) => events[i]?.id as string };
}

/** Changes rows behind the application's back, as an intruder with database access would. */
function tamper(work: (trx: Transaction<DB>) => Promise<unknown>) {
  return t.app.deps.db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`.execute(trx);
    await work(trx);
    await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`.execute(trx);
  });
}

/** What verification says of one chain, read two events at a time (batch boundaries). */
async function brokenLinks(chainKey: string) {
  const result = await verifyAuditChains(t.app.deps.db, { chainKey, batchSize: 2 });
  expect(result.chains).toBe(1);
  return result.broken;
}

/** Every chain is numbered on from its last prune (or 1) to its head, each event linked. */
async function expectWholeChains(db: Kysely<DB>) {
  const heads = await db.selectFrom("audit_chains").selectAll().execute();
  const prunes = await db.selectFrom("audit_prunes").selectAll().orderBy("through_seq").execute();
  const events = await allEvents(db);
  expect(heads.length).toBeGreaterThan(0);
  for (const head of heads) {
    const prune = prunes.filter((p) => p.chain_key === head.chain_key).at(-1);
    let seq = Number(prune?.through_seq ?? 0);
    let previous = prune?.through_hash ?? GENESIS_HASH;
    for (const event of events.filter((e) => e.chain_key === head.chain_key)) {
      seq += 1;
      expect([Number(event.seq), event.prev_hash, event.hash]).toEqual([
        seq,
        previous,
        eventHash(event),
      ]);
      previous = event.hash;
    }
    expect([seq, previous]).toEqual([Number(head.last_seq), head.last_hash]);
  }
}

describe("the audit hash chain", () => {
  it("stays whole after many actions, twenty of them invitations sent at once to one organization", async () => {
    const owner = await ownerWithOrganization(t);
    const admin = await addMember(t, owner, owner.org.id, "admin");
    const invited = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        inviteByLink(i % 2 ? owner.client : admin.client, owner.org.id, newAddress()),
      ),
    );
    expect(new Set(invited.map((i) => i.id)).size).toBe(20);
    const leaving = await ownerWithOrganization(t);
    const replies = await Promise.all([
      owner.client.patch(`/organizations/${owner.org.id}`, { name: 'Zoë — 🚀 "q" \\ Ω' }),
      admin.client.patch("/me", { name: "Ada Admin" }),
      t.client().post("/auth/sign-in", { email: owner.email, password: "wrong-password-1" }),
      leaving.client.delete(`/organizations/${leaving.org.id}`),
    ]);
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 401, 204]);
    expect((await leaving.client.delete("/me")).status).toBe(204);

    const result = await verifyAuditChains(t.app.deps.db);
    expect(result.broken).toEqual([]);
    expect(result.events).toBeGreaterThan(30);
    await expectWholeChains(t.app.deps.db);
    const org = await allEvents(t.app.deps.db, owner.org.id);
    expect(org.filter((e) => e.action === "invitation.created")).toHaveLength(21);
    expect(seqs(org)).toEqual(Array.from({ length: org.length }, (_, i) => i + 1));
  });

  it("names the chain, seq and event whose content was edited in the database", async () => {
    const { org, id } = await organizationChain();
    await tamper((trx) =>
      trx
        .updateTable("audit_events")
        .set({ metadata: JSON.stringify({ name: "Forged" }) })
        .where("id", "=", id(2))
        .execute(),
    );
    const broken = [{ chainKey: org.id, seq: 3, eventId: id(2), reason: CONTENT }];
    expect(await brokenLinks(org.id)).toEqual(broken);
    expect((await verifyAuditChains(t.app.deps.db)).broken).toEqual(expect.arrayContaining(broken));
    const cli = await runOperatorCommand(t.app.deps, { command: "audit-verify", org: org.slug });
    expect(cli).toMatchObject({ status: 200, body: { ok: false, chains: 1, broken } });
  });

  it("catches an edit whose own hash was recomputed at the link to the next event", async () => {
    const { org, events, id } = await organizationChain();
    const forged = { ...(events[2] as StoredAuditEvent), metadata: { name: "Forged" } };
    await tamper((trx) =>
      trx
        .updateTable("audit_events")
        .set({ metadata: JSON.stringify(forged.metadata), hash: eventHash(forged) })
        .where("id", "=", id(2))
        .execute(),
    );
    expect(await brokenLinks(org.id)).toEqual([
      { chainKey: org.id, seq: 4, eventId: id(3), reason: UNLINKED },
    ]);
  });

  it("reports the missing seq when an event in the middle is deleted", async () => {
    const { org, id } = await organizationChain();
    await tamper((trx) => trx.deleteFrom("audit_events").where("id", "=", id(2)).execute());
    expect(await brokenLinks(org.id)).toEqual([
      { chainKey: org.id, seq: 3, eventId: null, reason: "event 3 is missing" },
    ]);
  });

  it("reports a missing tail when the newest event is deleted", async () => {
    const { org, id } = await organizationChain();
    await tamper((trx) => trx.deleteFrom("audit_events").where("id", "=", id(4)).execute());
    expect(await brokenLinks(org.id)).toEqual([
      { chainKey: org.id, seq: 5, eventId: null, reason: expect.stringMatching(/5 .*missing/) },
    ]);
  });

  it("catches two events whose contents were swapped", async () => {
    const { org, id } = await organizationChain();
    await tamper((trx) =>
      sql`UPDATE audit_events a
          SET action = b.action, metadata = b.metadata, target_type = b.target_type,
              target_id = b.target_id, subject_user_id = b.subject_user_id
          FROM audit_events b
          WHERE a.chain_key = ${org.id} AND b.chain_key = ${org.id}
            AND a.seq IN (2, 3) AND b.seq = 5 - a.seq`.execute(trx),
    );
    const swapped = await allEvents(t.app.deps.db, org.id);
    expect(swapped.map((e) => e.action).slice(1, 3)).toEqual([
      "organization.updated",
      "member.added",
    ]);
    expect(await brokenLinks(org.id)).toEqual([
      { chainKey: org.id, seq: 2, eventId: id(1), reason: CONTENT },
    ]);
  });

  it("catches two events whose places in the chain were swapped", async () => {
    const { org, id } = await organizationChain();
    const move = (trx: Transaction<DB>, eventId: string, seq: number) =>
      trx.updateTable("audit_events").set({ seq }).where("id", "=", eventId).execute();
    await tamper(async (trx) => {
      await move(trx, id(2), 1000);
      await move(trx, id(3), 3);
      await move(trx, id(2), 4);
    });
    expect(await brokenLinks(org.id)).toEqual([
      { chainKey: org.id, seq: 3, eventId: id(3), reason: UNLINKED },
    ]);
  });
});

describe("audit rows are append-only", () => {
  it("refuses an UPDATE or a DELETE of an audit event made through the application's database", async () => {
    const { org, events, id } = await organizationChain();
    const db = t.app.deps.db;
    const update = db.updateTable("audit_events").set({ action: "user.deleted" });
    await expect(update.where("id", "=", id(2)).execute()).rejects.toThrow(/append-only/);
    const remove = db.deleteFrom("audit_events").where("id", "=", id(2));
    await expect(remove.execute()).rejects.toThrow(/append-only/);
    const duringRetention = db.transaction().execute(async (trx) => {
      await sql`SET LOCAL atrium.audit_retention = 'on'`.execute(trx);
      await trx
        .updateTable("audit_events")
        .set({ metadata: "{}" })
        .where("id", "=", id(2))
        .execute();
    });
    await expect(duringRetention).rejects.toThrow(/append-only/);
    expect(await allEvents(db, org.id)).toEqual(events);
    expect(await brokenLinks(org.id)).toEqual([]);
  });
});

describe("audit retention", () => {
  const db = r.app.deps.db;

  it("drops whole leading ranges older than the cutoff, records them, and every chain still verifies", async () => {
    const owner = await ownerWithOrganization(r);
    const rename = async (name: string) => {
      const client = r.client();
      const signIn = { email: owner.email, password: owner.password };
      expect((await client.post("/auth/sign-in", signIn)).status).toBe(200);
      expect((await client.patch(`/organizations/${owner.org.id}`, { name })).status).toBe(200);
    };
    r.clock.advance(10 * DAY);
    await rename("Ten days on");
    r.clock.advance(10 * DAY);
    await rename("Twenty days on");

    const before = await allEvents(db);
    const now = r.clock.now();
    const cutoff = new Date(now.getTime() - 15 * DAY);
    const old = before.filter((e) => e.created_at < cutoff);
    expect(await applyAuditRetention(db, 15 * DAY, now)).toBe(old.length);
    const kept = before.filter((e) => e.created_at >= cutoff);
    expect(await allEvents(db)).toEqual(kept);

    const prunes = await db.selectFrom("audit_prunes").selectAll().execute();
    const chains = [...new Set(old.map((e) => e.chain_key))];
    expect(prunes.map((p) => p.chain_key).sort()).toEqual(chains.sort());
    expect(chains).toContain(owner.org.id);
    for (const prune of prunes) {
      const dropped = seqs(old.filter((e) => e.chain_key === prune.chain_key));
      expect(dropped).toEqual(dropped.map((_, i) => i + 1)); // a leading range
      const recorded = [Number(prune.through_seq), Number(prune.removed), prune.cutoff];
      expect(recorded).toEqual([dropped.length, dropped.length, cutoff]);
    }
    expect(seqs(kept.filter((e) => e.chain_key === owner.org.id))).toEqual([3, 4]);
    expect((await verifyAuditChains(db)).broken).toEqual([]);

    await rename("After retention");
    expect(seqs(await allEvents(db, owner.org.id))).toEqual([3, 4, 5]);
    expect((await verifyAuditChains(db)).broken).toEqual([]);
    await expectWholeChains(db);
    expect(await applyAuditRetention(db, 15 * DAY, r.clock.now())).toBe(0);
    expect(await db.selectFrom("audit_prunes").selectAll().execute()).toHaveLength(prunes.length);
  });

  it("keeps an old event that follows a younger one, so that no chain is cut in its middle", async () => {
    const { org, client } = await organizationChain(r);
    r.clock.advance(-30 * DAY); // a server whose clock ran behind wrote the next event
    expect((await client.patch(`/organizations/${org.id}`, { name: "Past" })).status).toBe(200);
    r.clock.advance(30 * DAY);
    const events = await allEvents(db, org.id);
    expect(events.at(-1)?.created_at.getTime()).toBeLessThan(r.clock.now().getTime() - 15 * DAY);
    expect(await applyAuditRetention(db, 15 * DAY, r.clock.now())).toBe(0);
    expect(await allEvents(db, org.id)).toEqual(events);
  });

  it("runs from the maintenance sweep with ATRIUM_AUDIT_RETENTION, and the chains stay whole", async () => {
    expect(r.app.deps.config.auditRetentionMs).toBe(15 * DAY);
    const { org } = await organizationChain(r);
    r.clock.advance(16 * DAY);
    const fresh = await ownerWithOrganization(r);
    await sweepExpired(r.app.deps);
    expect(await allEvents(db, org.id)).toEqual([]);
    expect(seqs(await allEvents(db, fresh.org.id))).toEqual([1, 2]);
    expect((await verifyAuditChains(db)).broken).toEqual([]);
    await expectWholeChains(db);
  });
});

describe("ATRIUM_AUDIT_RETENTION", () => {
  it("is unlimited by default and parses a duration like 90d", () => {
    expect(loadConfig({}).auditRetentionMs).toBeUndefined();
    expect(loadConfig({ ATRIUM_AUDIT_RETENTION: "unlimited" }).auditRetentionMs).toBeUndefined();
    expect(loadConfig({ ATRIUM_AUDIT_RETENTION: "90d" }).auditRetentionMs).toBe(90 * DAY);
    expect(loadConfig({ ATRIUM_AUDIT_RETENTION: "12h" }).auditRetentionMs).toBe(DAY / 2);
  });

  it("stops the start with a line naming the variable when the value is not a duration", () => {
    for (const value of ["forever", "90", "0d", "-1d", "90 days"]) {
      const load = () => loadConfig({ ATRIUM_AUDIT_RETENTION: value });
      expect(load, value).toThrow(ConfigError);
      expect(load, value).toThrow(/^ATRIUM_AUDIT_RETENTION must be a duration/);
    }
  });
});
