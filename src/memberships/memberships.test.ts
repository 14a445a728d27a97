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

const STALE = 61 * 60_000;
const ROUNDS = Number(process.env.RACE_ROUNDS ?? 5);
type Role = "owner" | "admin" | "member";
interface Person {
  client: Client;
  userId: string;
  memberId: string;
  email: string;
  name: string;
}

let counter = 0;

/**
 * An organization with a (fresh) owner and one new account per role given, each joined
 * through a link invitation: people[0] is the owner, then the others in the order given.
 */
async function organizationWith(...roles: Role[]) {
  const owner = await signUpUser(t);
  const created = await owner.client.post("/organizations", { name: `Team ${++counter}` });
  expect(created.status).toBe(201);
  const org: string = created.body.id;
  const people = [
    {
      client: owner.client,
      userId: owner.user.id,
      memberId: "",
      email: owner.email,
      name: owner.name,
    },
  ];
  for (const role of roles) {
    const email = `member${++counter}-${Date.now()}@example.com`;
    const invited = await owner.client.post(`/organizations/${org}/invitations`, {
      emails: [email],
      role,
      delivery: "link",
    });
    expect(invited.status).toBe(201);
    const client = t.client();
    t.clock.advance(1_000); // joins a second apart: the members list is in join order
    const name = `Member ${counter}`;
    const joined = await client.post("/auth/sign-up", {
      email,
      name,
      password: STRONG_PASSWORD,
      invitationToken: String(invited.body.invitations[0].url).split("/invite/")[1],
    });
    expect(joined.status).toBe(201);
    people.push({ client, userId: joined.body.user.id, memberId: "", email, name });
  }
  const members = (await owner.client.get(`/organizations/${org}/members`)).body.items;
  for (const person of people)
    person.memberId = members.find((m: { user: { id: string } }) => m.user.id === person.userId).id;
  return { org, people: people as Person[] };
}

async function roles(org: string, viewer: Client, filter = ""): Promise<Record<string, Role>> {
  const reply = await viewer.get(`/organizations/${org}/members?limit=200${filter}`);
  expect(reply.status).toBe(200);
  return Object.fromEntries(
    reply.body.items.map((m: { id: string; role: Role }) => [m.id, m.role]),
  );
}

const owners = async (org: string, viewer: Client) =>
  Object.keys(await roles(org, viewer, "&role=owner"));

function events(org: string, action: string) {
  return t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("organization_id", "=", org)
    .where("action", "=", action)
    .execute();
}

const setRole = (by: Person, org: string, target: Person, role: Role) =>
  by.client.patch(`/organizations/${org}/members/${target.memberId}`, { role });
const remove = (by: Person, org: string, target: Person) =>
  by.client.delete(`/organizations/${org}/members/${target.memberId}`);

async function reauthenticate(client: Client) {
  const reply = await client.post("/auth/reauthenticate", { password: STRONG_PASSWORD });
  expect(reply.status).toBe(200);
}

describe("PATCH /organizations/{org}/members/{memberId}", () => {
  it("lets an owner promote a member to admin and records member.role_changed with who, from and to", async () => {
    const { org, people } = await organizationWith("member");
    const [owner, member] = people as [Person, Person];
    const reply = await setRole(owner, org, member, "admin");
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: member.memberId, user: { id: member.userId } });
    expect(reply.body.role).toBe("admin");
    expect((await roles(org, owner.client))[member.memberId]).toBe("admin");
    expect(await events(org, "member.role_changed")).toEqual([
      expect.objectContaining({
        actor_id: owner.userId,
        subject_user_id: member.userId,
        target_type: "member",
        target_id: member.memberId,
        metadata: { email: member.email, name: member.name, from: "member", to: "admin" },
      }),
    ]);
  });

  it("asks for a fresh session to make an admin an owner, and re-authenticating lets it through", async () => {
    const { org, people } = await organizationWith("admin");
    const [owner, admin] = people as [Person, Person];
    t.clock.advance(STALE);
    expectError(await setRole(owner, org, admin, "owner"), 403, "session_not_fresh");
    expect((await roles(org, owner.client))[admin.memberId]).toBe("admin");

    await reauthenticate(owner.client);
    const reply = await setRole(owner, org, admin, "owner");
    expect(reply.status).toBe(200);
    expect(reply.body.role).toBe("owner");
    expect((await events(org, "member.role_changed")).map((e) => e.metadata)).toEqual([
      { email: admin.email, name: admin.name, from: "admin", to: "owner" },
    ]);
  });

  it("lets an owner demote another owner only with a fresh session", async () => {
    const { org, people } = await organizationWith("owner");
    const [owner, other] = people as [Person, Person];
    t.clock.advance(STALE);
    expectError(await setRole(owner, org, other, "member"), 403, "session_not_fresh");
    await reauthenticate(owner.client);
    expect((await setRole(owner, org, other, "member")).status).toBe(200);
    expect(await owners(org, owner.client)).toEqual([owner.memberId]);
  });

  it("lets an admin move others between admin and member without a fresh session", async () => {
    const { org, people } = await organizationWith("admin", "member", "admin");
    const [owner, admin, member, otherAdmin] = people as [Person, Person, Person, Person];
    t.clock.advance(STALE);
    expect((await setRole(admin, org, member, "admin")).status).toBe(200);
    expect((await setRole(admin, org, otherAdmin, "member")).status).toBe(200);
    // In join order: owner, admin, member (now admin), otherAdmin (now member).
    expect(Object.values(await roles(org, owner.client))).toEqual([
      "owner",
      "admin",
      "admin",
      "member",
    ]);
  });

  it("refuses an admin changing an owner's role or granting ownership, fresh or not", async () => {
    const { org, people } = await organizationWith("admin", "member");
    const [owner, admin, member] = people as [Person, Person, Person];
    for (const [target, role] of [
      [owner, "admin"],
      [owner, "member"],
      [member, "owner"],
      [admin, "owner"],
    ] as const) {
      expectError(await setRole(admin, org, target, role), 403, "forbidden", role);
    }
    expect(Object.values(await roles(org, owner.client))).toEqual(["owner", "admin", "member"]);
    expect(await events(org, "member.role_changed")).toEqual([]);
  });

  it("refuses a member changing anyone's role, their own included", async () => {
    const { org, people } = await organizationWith("member", "member");
    const [owner, member, other] = people as [Person, Person, Person];
    expectError(await setRole(member, org, other, "admin"), 403, "forbidden");
    expectError(await setRole(member, org, member, "admin"), 403, "forbidden");
    expectError(await setRole(member, org, owner, "member"), 403, "forbidden");
    expect(await events(org, "member.role_changed")).toEqual([]);
  });

  it("answers 200 and records nothing when the role is already the one asked for", async () => {
    const { org, people } = await organizationWith("admin");
    const [owner, admin] = people as [Person, Person];
    const reply = await setRole(owner, org, admin, "admin");
    expect(reply.status).toBe(200);
    expect(reply.body.role).toBe("admin");
    expect(await events(org, "member.role_changed")).toEqual([]);
  });

  it("answers 404 for an unknown member or one of another organization, 400 for an unknown role", async () => {
    const { org, people } = await organizationWith("member");
    const [owner, member] = people as [Person, Person];
    const elsewhere = (await organizationWith("member")).people[1] as Person;
    for (const id of ["mem_00000000000000000000000000", elsewhere.memberId]) {
      expectError(
        await owner.client.patch(`/organizations/${org}/members/${id}`, { role: "admin" }),
        404,
        "not_found",
      );
    }
    expectError(await setRole(owner, org, member, "boss" as Role), 400, "invalid_request");
  });

  it("takes effect on the demoted admin's very next request", async () => {
    const { org, people } = await organizationWith("admin");
    const [owner, admin] = people as [Person, Person];
    expect((await admin.client.get(`/organizations/${org}/invitations`)).status).toBe(200);
    expect((await setRole(owner, org, admin, "member")).status).toBe(200);
    expectError(await admin.client.get(`/organizations/${org}/invitations`), 403, "forbidden");
    expectError(
      await admin.client.patch(`/organizations/${org}`, { name: "Renamed" }),
      403,
      "forbidden",
    );
  });

  it("refuses to demote the only owner with 409 last_owner", async () => {
    const { org, people } = await organizationWith("admin");
    const [owner] = people as [Person];
    expectError(await setRole(owner, org, owner, "admin"), 409, "last_owner");
    expect(await owners(org, owner.client)).toEqual([owner.memberId]);
    expect(await events(org, "member.role_changed")).toEqual([]);
  });
});

describe("DELETE /organizations/{org}/members/{memberId}", () => {
  it("lets an owner remove a member, an admin and (fresh) another owner, recording member.removed with who and their role", async () => {
    const { org, people } = await organizationWith("member", "admin", "owner");
    const [owner, member, admin, other] = people as [Person, Person, Person, Person];
    expect((await remove(owner, org, member)).status).toBe(204);
    expect((await remove(owner, org, admin)).status).toBe(204);
    t.clock.advance(STALE);
    expectError(await remove(owner, org, other), 403, "session_not_fresh");
    await reauthenticate(owner.client);
    expect((await remove(owner, org, other)).status).toBe(204);
    expect(Object.keys(await roles(org, owner.client))).toEqual([owner.memberId]);
    const removed = await events(org, "member.removed");
    expect(removed.map((e) => [e.target_id, e.subject_user_id, e.actor_id]).sort()).toEqual(
      [
        [member.memberId, member.userId, owner.userId],
        [admin.memberId, admin.userId, owner.userId],
        [other.memberId, other.userId, owner.userId],
      ].sort(),
    );
    const byTarget = Object.fromEntries(removed.map((e) => [e.target_id, e.metadata]));
    expect(byTarget).toEqual({
      [member.memberId]: { email: member.email, name: member.name, role: "member" },
      [admin.memberId]: { email: admin.email, name: admin.name, role: "admin" },
      [other.memberId]: { email: other.email, name: other.name, role: "owner" },
    });
  });

  it("lets an admin remove admins and members but not an owner", async () => {
    const { org, people } = await organizationWith("admin", "admin", "member");
    const [owner, admin, otherAdmin, member] = people as [Person, Person, Person, Person];
    expectError(await remove(admin, org, owner), 403, "forbidden");
    expect((await remove(admin, org, otherAdmin)).status).toBe(204);
    expect((await remove(admin, org, member)).status).toBe(204);
    expect(Object.keys(await roles(org, owner.client))).toEqual([owner.memberId, admin.memberId]);
  });

  it("lets a member leave, recorded as member.left, but not remove anyone else", async () => {
    const { org, people } = await organizationWith("member", "member");
    const [owner, member, other] = people as [Person, Person, Person];
    expectError(await remove(member, org, other), 403, "forbidden");
    expectError(await remove(member, org, owner), 403, "forbidden");
    expect((await remove(member, org, member)).status).toBe(204);
    expect(Object.keys(await roles(org, owner.client))).toEqual([owner.memberId, other.memberId]);
    expect(await events(org, "member.left")).toEqual([
      expect.objectContaining({
        actor_id: member.userId,
        target_id: member.memberId,
        metadata: { email: member.email, name: member.name, role: "member" },
      }),
    ]);
    expect(await events(org, "member.removed")).toEqual([]);
  });

  it("answers the removed member's next request to the organization with 404", async () => {
    const { org, people } = await organizationWith("admin");
    const [owner, admin] = people as [Person, Person];
    expect((await admin.client.get(`/organizations/${org}`)).status).toBe(200);
    expect((await remove(owner, org, admin)).status).toBe(204);
    expectError(await admin.client.get(`/organizations/${org}`), 404, "not_found");
    expectError(await admin.client.get(`/organizations/${org}/members`), 404, "not_found");
    expectError(await remove(admin, org, owner), 404, "not_found");
    expectError(await remove(owner, org, admin), 404, "not_found");
  });

  it("refuses the only owner leaving with 409 last_owner, but one of two owners may leave", async () => {
    const { org, people } = await organizationWith("member");
    const [owner, member] = people as [Person, Person];
    expectError(await remove(owner, org, owner), 409, "last_owner");
    expect(await owners(org, owner.client)).toEqual([owner.memberId]);

    expect((await setRole(owner, org, member, "owner")).status).toBe(200);
    expect((await remove(owner, org, owner)).status).toBe(204);
    expect(await owners(org, member.client)).toEqual([member.memberId]);
    expectError(await remove(member, org, member), 409, "last_owner");
  });
});

describe("two owners acting at the same moment", () => {
  it("demoting each other leaves exactly one owner, the later request finding itself no owner", async () => {
    // The organization row is locked, so one change runs after the other, and the second sees
    // its caller demoted: an admin may not change an owner's role.
    for (let round = 0; round < ROUNDS; round++) {
      const { org, people } = await organizationWith("owner");
      const [a, b] = people as [Person, Person];
      const replies = await Promise.all([setRole(a, org, b, "admin"), setRole(b, org, a, "admin")]);
      const statuses = replies.map((r) => `${r.status} ${errorCode(r) ?? ""}`.trim()).sort();
      expect(statuses, `round ${round}`).toEqual(["200", "403 forbidden"]);
      const winner = replies[0]?.status === 200 ? a : b;
      expect(await owners(org, winner.client)).toEqual([winner.memberId]);
      expect(await events(org, "member.role_changed")).toHaveLength(1);
    }
  });

  it("both leaving leaves exactly one owner, the other told last_owner", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { org, people } = await organizationWith("owner");
      const [a, b] = people as [Person, Person];
      const replies = await Promise.all([remove(a, org, a), remove(b, org, b)]);
      const statuses = replies.map((r) => `${r.status} ${errorCode(r) ?? ""}`.trim()).sort();
      expect(statuses, `round ${round}`).toEqual(["204", "409 last_owner"]);
      const stayer = replies[0]?.status === 204 ? b : a;
      expect(await owners(org, stayer.client)).toEqual([stayer.memberId]);
      expect(await events(org, "member.left")).toHaveLength(1);
    }
  });
});
