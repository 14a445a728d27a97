import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import { addMember } from "../../test/support/invitations.js";
import { signUpUser, startTestApp } from "../../test/support/test-app.js";
import { listOrganizationApiKeyIds, listUserApiKeys } from "../api-keys/api-keys.queries.js";
import { allAuditEvents, auditEventBatches, listAuditEvents } from "../audit/audit.queries.js";
import type { DB } from "../db/schema.js";
import {
  expireStaleInvitations,
  findInvitationInOrganization,
  findTakenEmails,
  listInvitationsForEmail,
  listPendingInvitations,
  lockPendingInvitationsFrom,
} from "../invitations/invitations.queries.js";
import {
  countOwners,
  deleteMember,
  findMember,
  findMemberByUser,
  listMembers,
  updateMemberRole,
} from "../memberships/memberships.queries.js";
import {
  findOrganizationForMember,
  listOrganizationsOfUser,
  recordSlugChange,
} from "./organizations.queries.js";

/**
 * Every query that takes an organization's id, run with organization B's id and organization
 * A's objects (members, invitations, keys, events, accounts), as Ory Kratos's persister suite
 * runs every read and delete from another tenant: each must read nothing of A and change
 * nothing of A. A query that a service forgets to scope is caught here, below every route.
 */

const t = await startTestApp();
const db = (): Kysely<DB> => t.app.deps.db;
const FAR_FUTURE = new Date("2999-01-01T00:00:00Z");

/** An organization with an owner, a member who joined by link, a pending invitation and a bound key. */
async function organization(label: string) {
  const owner = await signUpUser(t);
  const created = await owner.client.post("/organizations", { name: label });
  expect(created.status).toBe(201);
  const { id, slug } = created.body as { id: string; slug: string };
  const member = await addMember(t, owner, id, "member");
  const pendingEmail = `pending-${label.toLowerCase()}-${Date.now()}@example.com`;
  const invited = await owner.client.post(`/organizations/${id}/invitations`, {
    emails: [pendingEmail],
    role: "admin",
    delivery: "link",
  });
  expect(invited.status).toBe(201);
  const key = await owner.client.post("/me/api-keys", { name: `${label} key`, organizationId: id });
  expect(key.status).toBe(201);
  const memberRow = await db()
    .selectFrom("organization_members")
    .select("id")
    .where("organization_id", "=", id)
    .where("user_id", "=", member.user.id)
    .executeTakeFirstOrThrow();
  const events = await db()
    .selectFrom("audit_events")
    .select("id")
    .where("organization_id", "=", id)
    .orderBy("id", "desc")
    .execute();
  expect(events.length).toBeGreaterThan(3);
  return {
    id,
    slug,
    ownerUserId: owner.user.id,
    memberUserId: member.user.id,
    memberEmail: member.email.toLowerCase(),
    memberId: memberRow.id,
    invitationId: invited.body.invitations[0].id as string,
    pendingEmail,
    keyId: key.body.apiKey.id as string,
    eventIds: events.map((e) => e.id),
  };
}

type Org = Awaited<ReturnType<typeof organization>>;

const a = await organization("Alpha");
const b = await organization("Beta");

/** Every id of A's that a query could leak; B's own rows may come back, A's never. */
function idsOf(org: Org): string[] {
  return [
    org.id,
    org.memberId,
    org.invitationId,
    org.keyId,
    org.ownerUserId,
    org.memberUserId,
    org.memberEmail,
    org.pendingEmail,
    ...org.eventIds,
  ];
}

/** A's rows in every organization-scoped table, to compare before and after. */
async function snapshotOf(org: Org) {
  const [organizationRow, members, invitations, keys, events] = await Promise.all([
    db().selectFrom("organizations").selectAll().where("id", "=", org.id).execute(),
    db()
      .selectFrom("organization_members")
      .selectAll()
      .where("organization_id", "=", org.id)
      .orderBy("id")
      .execute(),
    db()
      .selectFrom("invitations")
      .selectAll()
      .where("organization_id", "=", org.id)
      .orderBy("id")
      .execute(),
    db()
      .selectFrom("api_keys")
      .selectAll()
      .where("organization_id", "=", org.id)
      .orderBy("id")
      .execute(),
    db()
      .selectFrom("audit_events")
      .selectAll()
      .where("organization_id", "=", org.id)
      .orderBy("id")
      .execute(),
  ]);
  return { organizationRow, members, invitations, keys, events };
}

const collect = async <T>(items: AsyncIterable<T>) => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};

/**
 * One call per organization-scoped query: B's organization id, A's object ids. What it
 * returns must hold nothing of A's (`empty` says it must hold nothing at all).
 */
const CASES: Record<string, { run: () => Promise<unknown>; empty?: boolean }> = {
  "api-keys/api-keys.queries.ts:listUserApiKeys": {
    run: () =>
      listUserApiKeys(db(), a.ownerUserId, {
        limit: 50,
        afterId: undefined,
        onlyOrganizationId: b.id,
      }),
    empty: true,
  },
  "api-keys/api-keys.queries.ts:listOrganizationApiKeyIds": {
    run: () => listOrganizationApiKeyIds(db(), b.id),
  },
  "audit/audit.queries.ts:listAuditEvents": {
    run: async () => [
      ...(await listAuditEvents(db(), { scope: { organizationId: b.id } }, { limit: 500 })),
      // A's newest event as the cursor: the page before it is still B's alone.
      ...(await listAuditEvents(
        db(),
        { scope: { organizationId: b.id } },
        { limit: 500, beforeId: a.eventIds[0] },
      )),
      // A's events filtered by an actor of A's, within B.
      ...(await listAuditEvents(
        db(),
        { scope: { organizationId: b.id }, actorId: a.ownerUserId },
        { limit: 500 },
      )),
      // The security log of A's owner, seen through a key bound to B.
      ...(await listAuditEvents(
        db(),
        { scope: { subjectUserId: a.ownerUserId, withinOrganizationId: b.id } },
        { limit: 500 },
      )),
    ],
  },
  "audit/audit.queries.ts:auditEventBatches": {
    run: async () =>
      (await collect(auditEventBatches(db(), { scope: { organizationId: b.id } }, 2))).flat(),
  },
  "audit/audit.queries.ts:allAuditEvents": {
    run: async () => [
      ...(await collect(allAuditEvents(db(), { scope: { organizationId: b.id } }))),
      ...(await collect(
        allAuditEvents(db(), {
          scope: { subjectUserId: a.memberUserId, withinOrganizationId: b.id },
        }),
      )),
    ],
  },
  "invitations/invitations.queries.ts:findInvitationInOrganization": {
    run: () => findInvitationInOrganization(db(), b.id, a.invitationId),
    empty: true,
  },
  "invitations/invitations.queries.ts:expireStaleInvitations": {
    // Were A's invitation matched, the far future would expire it.
    run: () => expireStaleInvitations(db(), b.id, [a.pendingEmail], FAR_FUTURE),
    empty: true,
  },
  "invitations/invitations.queries.ts:listPendingInvitations": {
    run: async () => [
      ...(await listPendingInvitations(db(), b.id, { limit: 50, now: t.clock.now() })),
      ...(await listPendingInvitations(db(), b.id, {
        limit: 50,
        afterId: "inv_0",
        now: t.clock.now(),
      })),
    ],
  },
  "invitations/invitations.queries.ts:listInvitationsForEmail": {
    run: () =>
      listInvitationsForEmail(db(), a.pendingEmail, {
        limit: 50,
        now: t.clock.now(),
        onlyOrganizationId: b.id,
      }),
    empty: true,
  },
  "invitations/invitations.queries.ts:findTakenEmails": {
    run: async () => {
      const taken = await findTakenEmails(db(), b.id, [a.memberEmail, a.pendingEmail]);
      return [...taken.members, ...taken.invited];
    },
    empty: true,
  },
  "invitations/invitations.queries.ts:lockPendingInvitationsFrom": {
    run: () =>
      db()
        .transaction()
        .execute((trx) => lockPendingInvitationsFrom(trx, a.ownerUserId, b.id)),
    empty: true,
  },
  "memberships/memberships.queries.ts:findMember": {
    run: () => findMember(db(), b.id, a.memberId),
    empty: true,
  },
  "memberships/memberships.queries.ts:countOwners": {
    run: async () => {
      // B has one owner; A's owners do not count toward it.
      expect(await countOwners(db(), b.id)).toBe(1);
      return [];
    },
  },
  "memberships/memberships.queries.ts:updateMemberRole": {
    run: () => updateMemberRole(db(), b.id, a.memberId, "owner"),
    empty: true,
  },
  "memberships/memberships.queries.ts:deleteMember": {
    run: () => deleteMember(db(), b.id, a.memberId),
    empty: true,
  },
  "memberships/memberships.queries.ts:listMembers": {
    run: async () => [
      ...(await listMembers(db(), b.id, { limit: 50 })),
      ...(await listMembers(db(), b.id, { limit: 50, q: a.memberEmail })),
      ...(await listMembers(db(), b.id, { limit: 50, afterId: "mem_0", role: "member" })),
    ],
  },
  "memberships/memberships.queries.ts:findMemberByUser": {
    run: () => findMemberByUser(db(), b.id, a.memberUserId),
    empty: true,
  },
  "organizations/organizations.queries.ts:listOrganizationsOfUser": {
    run: () =>
      listOrganizationsOfUser(db(), a.ownerUserId, { limit: 50, onlyOrganizationId: b.id }),
    empty: true,
  },
  // Not found by the signature rule (its `ref` is an id or a slug), run all the same: it opens
  // every organization-scoped use case.
  "organizations/organizations.queries.ts:findOrganizationForMember": {
    run: async () =>
      [
        await findOrganizationForMember(db(), b.id, a.ownerUserId),
        await findOrganizationForMember(db(), b.slug, a.memberUserId, { lock: true }),
      ].filter((found) => found !== undefined),
    empty: true,
  },
  // B's old slug leads B's members to B, and nobody of A anywhere.
  "organizations/organizations.queries.ts:recordSlugChange": {
    run: async () => {
      await recordSlugChange(db(), b.id, { from: `${b.slug}-former`, to: b.slug }, new Date());
      return [await findOrganizationForMember(db(), `${b.slug}-former`, a.memberUserId)].filter(
        (found) => found !== undefined,
      );
    },
    empty: true,
  },
};

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The exported functions of every query file that take an organization's id: a parameter
 * named for it, or a field of a parameter's type declared in the same file (AuditFilter).
 */
function organizationScopedQueries(): string[] {
  const found: string[] = [];
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) =>
    f.endsWith(".queries.ts"),
  );
  for (const file of files) {
    const text = readFileSync(join(SRC, file), "utf8");
    const exported = /export (?:async )?function\*? (\w+)\s*(?:<[^(]*>)?\(/g;
    for (let match = exported.exec(text); match; match = exported.exec(text)) {
      let depth = 1;
      let end = exported.lastIndex;
      while (depth > 0 && end < text.length) {
        const c = text[end++];
        if (c === "(") depth++;
        else if (c === ")") depth--;
      }
      let signature = text.slice(exported.lastIndex, end - 1);
      for (const typeName of signature.match(/\b[A-Z]\w+/g) ?? []) {
        const declared = new RegExp(
          `interface ${typeName}\\b[\\s\\S]*?\\n}|type ${typeName}\\b[^;]*;`,
        ).exec(text);
        if (declared) signature += declared[0];
      }
      if (/organization_?id/i.test(signature))
        found.push(`${relative(SRC, join(SRC, file)).split("\\").join("/")}:${match[1]}`);
    }
  }
  return found.sort();
}

describe("organization-scoped queries, run with another organization's id", () => {
  it("has a case for every query that takes an organization id", () => {
    const scoped = organizationScopedQueries();
    // The rule finds the queries we know of: were it to find none, it would guard nothing.
    expect(scoped).toContain("memberships/memberships.queries.ts:findMember");
    expect(scoped).toContain("audit/audit.queries.ts:listAuditEvents");
    const missing = scoped.filter((name) => !(name in CASES));
    expect(missing, "add these queries to CASES in isolation-queries.test.ts").toEqual([]);
  });

  it.each(Object.keys(CASES))("%s reads nothing of A and changes nothing of A", async (name) => {
    const before = await snapshotOf(a);
    const { run, empty } = CASES[name] as (typeof CASES)[string];
    const result = await run();
    const text = JSON.stringify(result ?? null);
    for (const id of idsOf(a)) expect(text, `${name} returned ${id} of A`).not.toContain(id);
    if (empty) {
      const nothing =
        result === undefined ||
        (Array.isArray(result) && result.length === 0) ||
        // An UPDATE or DELETE that matched nothing.
        (typeof result === "object" &&
          result !== null &&
          "numUpdatedRows" in result &&
          Number(result.numUpdatedRows) === 0);
      expect(nothing, `${name} returned ${text}`).toBe(true);
    }
    expect(await snapshotOf(a)).toEqual(before);
  });

  it("left A whole: its owner, member, pending invitation, bound key and events", async () => {
    const after = await snapshotOf(a);
    expect(after.organizationRow).toHaveLength(1);
    expect(after.members.map((m) => [m.id, m.role])).toEqual(
      expect.arrayContaining([[a.memberId, "member"]]),
    );
    expect(after.members).toHaveLength(2);
    expect(after.invitations.find((i) => i.id === a.invitationId)?.status).toBe("pending");
    expect(after.keys.map((k) => [k.id, k.revoked_at])).toEqual([[a.keyId, null]]);
    expect(after.events.map((e) => e.id)).toEqual(expect.arrayContaining(a.eventIds));
  });

  it("would catch a query that ignores the organization", async () => {
    // The check itself: the same read without B's scope does find A's member.
    const unscoped = await db()
      .selectFrom("organization_members")
      .selectAll()
      .where("id", "=", a.memberId)
      .execute();
    expect(JSON.stringify(unscoped)).toContain(a.memberId);
    expect(await findMember(db(), a.id, a.memberId)).toBeDefined();
  });
});
