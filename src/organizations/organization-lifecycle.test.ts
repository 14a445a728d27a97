import { describe, expect, it } from "vitest";
import {
  type Client,
  expectError,
  type Reply,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";

const t = await startTestApp();
const closed = await startTestApp({ env: { ATRIUM_PERSONAL_ORGS: "false" } });

const MINUTE = 60_000;
let counter = 0;

function auditEvents(organizationId: string, action?: string) {
  let query = t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("organization_id", "=", organizationId);
  if (action) query = query.where("action", "=", action);
  return query.orderBy("id").execute();
}

async function ownerWithOrganization(name = `Org ${++counter}`) {
  const owner = await signUpUser(t);
  const created = await owner.client.post("/organizations", { name });
  expect(created.status).toBe(201);
  return { ...owner, org: created.body as { id: string; slug: string; name: string } };
}

/** Invites an address by link with this role; a new client signs up with it and so joins. */
async function joinByLink(
  owner: Client,
  orgId: string,
  role: string,
  name = `Joiner ${++counter}`,
) {
  const email = `joiner-${++counter}@example.com`;
  const invited = await owner.post(`/organizations/${orgId}/invitations`, {
    emails: [email],
    role,
    delivery: "link",
  });
  expect(invited.status).toBe(201);
  const client = t.client();
  const signUp = await client.post("/auth/sign-up", {
    email,
    name,
    password: STRONG_PASSWORD,
    invitationToken: invited.body.invitations[0].url.split("/").pop(),
  });
  expect(signUp.status).toBe(201);
  const found = await owner.get(`/organizations/${orgId}/members?q=${encodeURIComponent(email)}`);
  return { client, memberId: found.body.items[0].id as string };
}

describe("DELETE /organizations/{org}", () => {
  it("deletes with a fresh session, taking memberships and invitations along and keeping its audit events", async () => {
    const { client, user, org } = await ownerWithOrganization();
    const joiner = (await joinByLink(client, org.id, "member")).client;
    const pending = await client.post(`/organizations/${org.id}/invitations`, {
      emails: [`pending-${++counter}@example.com`],
      role: "admin",
      delivery: "link",
    });
    expect(pending.status).toBe(201);
    const eventsBefore = await auditEvents(org.id);

    expect((await client.delete(`/organizations/${org.slug}`)).status).toBe(204);
    expectError(await client.get(`/organizations/${org.id}`), 404, "not_found");
    expectError(await joiner.get(`/organizations/${org.id}`), 404, "not_found");
    const db = t.app.deps.db;
    expect(
      await db.selectFrom("organizations").select("id").where("id", "=", org.id).execute(),
    ).toEqual([]);
    expect(
      await db
        .selectFrom("organization_members")
        .select("id")
        .where("organization_id", "=", org.id)
        .execute(),
    ).toEqual([]);
    expect(
      await db
        .selectFrom("invitations")
        .select("id")
        .where("organization_id", "=", org.id)
        .execute(),
    ).toEqual([]);

    const eventsAfter = await auditEvents(org.id);
    expect(eventsAfter).toHaveLength(eventsBefore.length + 1);
    expect(eventsAfter).toEqual(expect.arrayContaining(eventsBefore));
    expect(eventsAfter.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        "organization.created",
        "invitation.created",
        "invitation.accepted",
        "organization.deleted",
      ]),
    );
    expect(eventsAfter.find((e) => e.action === "organization.deleted")).toMatchObject({
      actor_id: user.id,
      metadata: { name: org.name, slug: org.slug },
    });
    const mine = await client.get("/me/organizations");
    expect(
      mine.body.items.map((i: { organization: { id: string } }) => i.organization.id),
    ).not.toContain(org.id);
  });

  it("refuses a stale session with session_not_fresh until the owner re-authenticates", async () => {
    const { client, password, org } = await ownerWithOrganization();
    t.clock.advance(61 * MINUTE);
    expectError(await client.delete(`/organizations/${org.id}`), 403, "session_not_fresh");
    expect((await client.get(`/organizations/${org.id}`)).status).toBe(200);
    expect(await auditEvents(org.id, "organization.deleted")).toEqual([]);

    expect((await client.post("/auth/reauthenticate", { password })).status).toBe(200);
    expect((await client.delete(`/organizations/${org.id}`)).status).toBe(204);
    expectError(await client.get(`/organizations/${org.id}`), 404, "not_found");
  });

  it("a stale owner re-authenticates to grant or take ownership, but not for other changes", async () => {
    const { client: owner, password, org } = await ownerWithOrganization();
    const second = await joinByLink(owner, org.id, "owner");
    const admin = await joinByLink(owner, org.id, "admin");
    const member = await joinByLink(owner, org.id, "member");
    t.clock.advance(61 * MINUTE);
    const members = `/organizations/${org.id}/members`;
    const invite = (role: string) =>
      owner.post(`/organizations/${org.id}/invitations`, {
        emails: [`late-${++counter}@example.com`],
        role,
        delivery: "link",
      });
    const stale: Array<[string, () => Promise<Reply>]> = [
      ["invite an owner", () => invite("owner")],
      ["promote to owner", () => owner.patch(`${members}/${member.memberId}`, { role: "owner" })],
      ["demote an owner", () => owner.patch(`${members}/${second.memberId}`, { role: "admin" })],
      ["remove an owner", () => owner.delete(`${members}/${second.memberId}`)],
    ];
    for (const [label, attempt] of stale) {
      expectError(await attempt(), 403, "session_not_fresh", label);
    }
    const roles = await owner.get(members);
    expect(roles.body.items.filter((m: { role: string }) => m.role === "owner")).toHaveLength(2);

    expect((await owner.patch(`${members}/${admin.memberId}`, { role: "member" })).status).toBe(
      200,
    );
    expect((await owner.delete(`${members}/${member.memberId}`)).status).toBe(204);
    expect((await invite("admin")).status).toBe(201);

    expect((await owner.post("/auth/reauthenticate", { password })).status).toBe(200);
    expect((await owner.patch(`${members}/${second.memberId}`, { role: "admin" })).status).toBe(
      200,
    );
  });
});

describe("GET /me/organizations", () => {
  it("lists every organization of the account with its role and join time, one page at a time", async () => {
    const host = await ownerWithOrganization();
    const { client } = await joinByLink(host.client, host.org.id, "admin", "Grace");
    const joinedAt = t.clock.now().toISOString();
    t.clock.advance(1000);
    const created = await client.post("/organizations", { name: `Grace's Lab ${++counter}` });
    expect(created.status).toBe(201);

    const all = await client.get("/me/organizations");
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeNull();
    const byName = (a: { organization: { name: string } }, b: { organization: { name: string } }) =>
      a.organization.name.localeCompare(b.organization.name);
    const personal = all.body.items.find(
      (i: { organization: { name: string } }) => i.organization.name === "Grace's Organization",
    );
    expect([...all.body.items].sort(byName)).toEqual(
      [
        {
          organization: { id: host.org.id, slug: host.org.slug, name: host.org.name },
          role: "admin",
          joinedAt,
        },
        { organization: personal?.organization, role: "owner", joinedAt },
        {
          organization: { id: created.body.id, slug: created.body.slug, name: created.body.name },
          role: "owner",
          joinedAt: t.clock.now().toISOString(),
        },
      ].sort(byName),
    );
    expect(all.body.items[2].organization.id).toBe(created.body.id); // oldest membership first

    const pages = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=1&cursor=${cursor}` : "?limit=1";
      const reply = await client.get(`/me/organizations${query}`);
      expect(reply.status).toBe(200);
      expect(reply.body.items).toHaveLength(1);
      pages.push(...reply.body.items);
      cursor = reply.body.nextCursor;
    } while (cursor !== null && pages.length < 10);
    expect(pages).toEqual(all.body.items);
  });
});

describe("personal organizations", () => {
  it('gives every new account "{Name}\'s Organization", owned by it', async () => {
    const { client, user } = await signUpUser(t, { name: "Ada" });
    const mine = await client.get("/me/organizations");
    expect(mine.body.items).toEqual([
      {
        organization: {
          id: expect.any(String),
          slug: expect.stringMatching(/^adas-organization/),
          name: "Ada's Organization",
        },
        role: "owner",
        joinedAt: t.clock.now().toISOString(),
      },
    ]);
    const id = mine.body.items[0].organization.id;
    const org = await client.get(`/organizations/${id}`);
    expect(org.body).toMatchObject({
      name: "Ada's Organization",
      myRole: "owner",
      allowedEmailDomains: [],
    });
    expect((await auditEvents(id)).map((e) => [e.action, e.actor_id])).toEqual(
      expect.arrayContaining([
        ["organization.created", user.id],
        ["member.added", user.id],
      ]),
    );
  });

  it("creates none when ATRIUM_PERSONAL_ORGS is false", async () => {
    const { client } = await signUpUser(closed, { name: "Ada" });
    const mine = await client.get("/me/organizations");
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({ items: [], nextCursor: null });
    expect(await closed.app.deps.db.selectFrom("organizations").select("id").execute()).toEqual([]);
    expect((await client.post("/organizations", { name: "Made by hand" })).status).toBe(201);
  });
});
