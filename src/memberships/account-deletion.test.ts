import { describe, expect, it } from "vitest";
import {
  type Client,
  errorCode,
  expectError,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";

const t = await startTestApp();

type Role = "owner" | "admin" | "member";
let counter = 0;

async function createOrganization(client: Client): Promise<string> {
  const reply = await client.post("/organizations", { name: `Shared ${++counter}` });
  expect(reply.status).toBe(201);
  return reply.body.id;
}

/** A new account that joins `org` with `role` by signing up with a link invitation. */
async function join(inviter: Client, org: string, role: Role) {
  const email = `joiner${++counter}-${Date.now()}@example.com`;
  const invited = await inviter.post(`/organizations/${org}/invitations`, {
    emails: [email],
    role,
    delivery: "link",
  });
  expect(invited.status).toBe(201);
  const client = t.client();
  t.clock.advance(1_000); // a second after the last change, so the members list is in join order
  const reply = await client.post("/auth/sign-up", {
    email,
    name: `Joiner ${counter}`,
    password: STRONG_PASSWORD,
    invitationToken: String(invited.body.invitations[0].url).split("/invite/")[1],
  });
  expect(reply.status).toBe(201);
  return { client, userId: reply.body.user.id as string };
}

async function myOrganizations(client: Client): Promise<Array<{ id: string; role: Role }>> {
  const reply = await client.get("/me/organizations");
  expect(reply.status).toBe(200);
  return reply.body.items.map((i: { organization: { id: string }; role: Role }) => ({
    id: i.organization.id,
    role: i.role,
  }));
}

async function members(client: Client, org: string) {
  const reply = await client.get(`/organizations/${org}/members`);
  expect(reply.status).toBe(200);
  return reply.body.items.map((m: { user: { id: string }; role: Role }) => [m.user.id, m.role]);
}

const userRow = (id: string) =>
  t.app.deps.db.selectFrom("users").select("id").where("id", "=", id).executeTakeFirst();
const organizationRow = (id: string) =>
  t.app.deps.db.selectFrom("organizations").select("id").where("id", "=", id).executeTakeFirst();
const orgEvents = (org: string) =>
  t.app.deps.db
    .selectFrom("audit_events")
    .select(["id", "action"])
    .where("organization_id", "=", org)
    .orderBy("id")
    .execute();
const deletedEvents = (userId: string) =>
  t.app.deps.db
    .selectFrom("audit_events")
    .select("id")
    .where("subject_user_id", "=", userId)
    .where("action", "=", "user.deleted")
    .execute();

describe("DELETE /me and the organizations the account owns", () => {
  it("answers 409 last_owner while the account is the only owner of an organization with other members, and deletes nothing", async () => {
    const owner = await signUpUser(t);
    const shared = await createOrganization(owner.client);
    const member = await join(owner.client, shared, "admin");
    const before = await myOrganizations(owner.client);
    expect(before).toHaveLength(2);

    expectError(await owner.client.delete("/me"), 409, "last_owner");

    expect((await owner.client.get("/me")).status).toBe(200);
    expect(await userRow(owner.user.id)).toBeDefined();
    expect(await myOrganizations(owner.client)).toEqual(before);
    expect(await members(member.client, shared)).toEqual([
      [owner.user.id, "owner"],
      [member.userId, "admin"],
    ]);
    expect(await deletedEvents(owner.user.id)).toEqual([]);
  });

  it("asks for a fresh session before deleting anything", async () => {
    const owner = await signUpUser(t);
    t.clock.advance(61 * 60_000);
    expectError(await owner.client.delete("/me"), 403, "session_not_fresh");
    expect(await userRow(owner.user.id)).toBeDefined();
    expect(await myOrganizations(owner.client)).toHaveLength(1);
  });

  it("deletes the account once someone else is an owner, and the organization stays with that owner", async () => {
    const owner = await signUpUser(t);
    const shared = await createOrganization(owner.client);
    const member = await join(owner.client, shared, "member");
    const promoted = await owner.client.patch(
      `/organizations/${shared}/members/${await myMemberId(member.client, shared)}`,
      { role: "owner" },
    );
    expect(promoted.status).toBe(200);

    expect((await owner.client.delete("/me")).status).toBe(204);

    expect(await userRow(owner.user.id)).toBeUndefined();
    expectError(await owner.client.get("/me"), 401, "unauthenticated");
    expect(await organizationRow(shared)).toBeDefined();
    expect(await members(member.client, shared)).toEqual([[member.userId, "owner"]]);
    expect(await myOrganizations(member.client)).toContainEqual({ id: shared, role: "owner" });
    expect(await deletedEvents(owner.user.id)).toHaveLength(1);
  });

  it("leaves an organization it was a plain member of, which carries on without it", async () => {
    const host = await signUpUser(t);
    const shared = await createOrganization(host.client);
    const guest = await join(host.client, shared, "member");

    expect((await guest.client.delete("/me")).status).toBe(204);

    expect(await members(host.client, shared)).toEqual([[host.user.id, "owner"]]);
  });

  it("deletes with it every organization it alone belongs to, keeping their audit events", async () => {
    const owner = await signUpUser(t);
    const [personal] = await myOrganizations(owner.client);
    if (!personal) throw new Error("no personal organization");
    const solo = await createOrganization(owner.client);
    const eventsBefore = {
      [personal.id]: await orgEvents(personal.id),
      [solo]: await orgEvents(solo),
    };
    expect(eventsBefore[personal.id]?.map((e) => e.action)).toContain("organization.created");

    expect((await owner.client.delete("/me")).status).toBe(204);

    for (const org of [personal.id, solo]) {
      expect(await organizationRow(org), org).toBeUndefined();
      const after = await orgEvents(org);
      expect(after).toEqual(expect.arrayContaining(eventsBefore[org] ?? []));
      expect(after.map((e) => e.action)).toContain("organization.deleted");
    }
    expect(await deletedEvents(owner.user.id)).toHaveLength(1);
  });

  it("lets only one of two owners delete their account when both try at once and others remain", async () => {
    for (let round = 0; round < 3; round++) {
      const first = await signUpUser(t);
      const shared = await createOrganization(first.client);
      const second = await join(first.client, shared, "owner");
      const third = await join(first.client, shared, "member");

      const replies = await Promise.all([first.client.delete("/me"), second.client.delete("/me")]);
      const statuses = replies.map((r) => `${r.status} ${errorCode(r) ?? ""}`.trim()).sort();
      expect(statuses, `round ${round}`).toEqual(["204", "409 last_owner"]);

      const remaining = replies[0]?.status === 204 ? second.userId : first.user.id;
      expect(await members(third.client, shared)).toEqual([
        [remaining, "owner"],
        [third.userId, "member"],
      ]);
    }
  });
});

async function myMemberId(client: Client, org: string): Promise<string> {
  const me = (await client.get("/me")).body.id;
  const reply = await client.get(`/organizations/${org}/members`);
  return reply.body.items.find((m: { user: { id: string } }) => m.user.id === me).id;
}
