import { describe, expect, it } from "vitest";
import {
  type Client,
  expectError,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import type { Role } from "./roles.js";

// The contract's roles table (API.md "Roles") checked through HTTP, with real sessions and
// memberships; roles.test.ts checks every cell of `can()` itself.

const ROLES: Role[] = ["owner", "admin", "member"];

/** Invite (and resend, revoke): owner any role; admin admin or member; member none. */
const MAY_INVITE: Record<Role, Role[]> = {
  owner: ["owner", "admin", "member"],
  admin: ["admin", "member"],
  member: [],
};
/** Change a member's role: owner any; admin between admin and member, not of an owner. */
const MAY_CHANGE: Record<Role, Array<`${Role}->${Role}`>> = {
  owner: ROLES.flatMap((from) => ROLES.map((to) => `${from}->${to}` as const)),
  admin: ["admin->admin", "admin->member", "member->admin", "member->member"],
  member: [],
};
/** Remove another member: owner anyone; admin admins and members; member nobody. */
const MAY_REMOVE: Record<Role, Role[]> = {
  owner: ["owner", "admin", "member"],
  admin: ["admin", "member"],
  member: [],
};

const t = await startTestApp();
let counter = 0;

interface Actor {
  client: Client;
  userId: string;
  memberId: string;
}

function memberRow(memberId: string) {
  return t.app.deps.db
    .selectFrom("organization_members")
    .selectAll()
    .where("id", "=", memberId)
    .executeTakeFirst();
}

/** An organization with an owner, an admin and a member, each joined through the API. */
async function organizationWithRoles() {
  const owner = await signUpUser(t);
  const created = await owner.client.post("/organizations", { name: `Roles ${++counter}` });
  expect(created.status).toBe(201);
  const orgId: string = created.body.id;
  const members = await owner.client.get(`/organizations/${orgId}/members`);
  const ownerActor: Actor = {
    client: owner.client,
    userId: owner.user.id,
    memberId: members.body.items[0].id,
  };

  /** Invites a new address by link with this role and signs it up with the link's token. */
  async function join(role: Role): Promise<Actor> {
    const email = `${role}-${++counter}-${Date.now()}@example.com`;
    const invited = await owner.client.post(`/organizations/${orgId}/invitations`, {
      emails: [email],
      role,
      delivery: "link",
    });
    expect(invited.status).toBe(201);
    const token = invited.body.invitations[0].url.split("/").pop();
    const client = t.client();
    const signUp = await client.post("/auth/sign-up", {
      email,
      name: `Joined ${role} ${counter}`,
      password: STRONG_PASSWORD,
      invitationToken: token,
    });
    expect(signUp.status).toBe(201);
    const found = await owner.client.get(
      `/organizations/${orgId}/members?q=${encodeURIComponent(email)}`,
    );
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0].role).toBe(role);
    return { client, userId: signUp.body.user.id, memberId: found.body.items[0].id };
  }

  const actors: Record<Role, Actor> = {
    owner: ownerActor,
    admin: await join("admin"),
    member: await join("member"),
  };
  return { orgId, actors, join };
}

describe("the roles table over HTTP", () => {
  it("every role sees the organization, with its own role, and its members", async () => {
    const { orgId, actors } = await organizationWithRoles();
    for (const role of ROLES) {
      const org = await actors[role].client.get(`/organizations/${orgId}`);
      expect(org.status, role).toBe(200);
      expect(org.body.myRole).toBe(role);
      const members = await actors[role].client.get(`/organizations/${orgId}/members`);
      expect(members.status, role).toBe(200);
      expect(members.body.items.map((m: { role: Role }) => m.role).sort()).toEqual([
        "admin",
        "member",
        "owner",
      ]);
    }
  });

  it("owners and admins update the settings; a member is refused and nothing changes", async () => {
    const { orgId, actors } = await organizationWithRoles();
    for (const role of ["owner", "admin"] as const) {
      const reply = await actors[role].client.patch(`/organizations/${orgId}`, {
        name: `Renamed by ${role}`,
        allowedEmailDomains: [],
      });
      expect(reply.status, role).toBe(200);
      expect(reply.body.name).toBe(`Renamed by ${role}`);
    }
    for (const body of [
      { name: "Member's" },
      { slug: "member-slug" },
      { allowedEmailDomains: ["x.io"] },
    ]) {
      const reply = await actors.member.client.patch(`/organizations/${orgId}`, body);
      expectError(reply, 403, "forbidden", JSON.stringify(body));
    }
    const org = await actors.owner.client.get(`/organizations/${orgId}`);
    expect(org.body).toMatchObject({ name: "Renamed by admin", allowedEmailDomains: [] });
  });

  it("only an owner deletes the organization; an admin and a member are refused", async () => {
    const { orgId, actors } = await organizationWithRoles();
    expectError(await actors.admin.client.delete(`/organizations/${orgId}`), 403, "forbidden");
    expectError(await actors.member.client.delete(`/organizations/${orgId}`), 403, "forbidden");
    expect((await actors.owner.client.get(`/organizations/${orgId}`)).status).toBe(200);
    expect((await actors.owner.client.delete(`/organizations/${orgId}`)).status).toBe(204);
    expectError(await actors.admin.client.get(`/organizations/${orgId}`), 404, "not_found");
  });

  it("an owner invites any role, an admin only admins and members, a member nobody", async () => {
    const { orgId, actors } = await organizationWithRoles();
    for (const role of ROLES) {
      for (const invited of ROLES) {
        const email = `invitee-${++counter}@example.com`;
        const reply = await actors[role].client.post(`/organizations/${orgId}/invitations`, {
          emails: [email],
          role: invited,
          delivery: "link",
        });
        const label = `${role} invites ${invited}`;
        const pending = await t.app.deps.db
          .selectFrom("invitations")
          .select("role")
          .where("email", "=", email)
          .execute();
        if (MAY_INVITE[role].includes(invited)) {
          expect(reply.status, label).toBe(201);
          expect(reply.body.invitations, label).toEqual([
            expect.objectContaining({ email, role: invited }),
          ]);
          expect(pending, label).toEqual([{ role: invited }]);
        } else {
          expectError(reply, 403, "forbidden", label);
          expect(pending, label).toEqual([]);
        }
      }
    }
  });

  it("owners and admins list, resend and revoke invitations; an admin not an owner's, a member none", async () => {
    const { orgId, actors } = await organizationWithRoles();
    const invite = async (role: Role) => {
      const reply = await actors.owner.client.post(`/organizations/${orgId}/invitations`, {
        emails: [`pending-${++counter}@example.com`],
        role,
        delivery: "link",
      });
      expect(reply.status).toBe(201);
      return reply.body.invitations[0].id as string;
    };
    const ownerInvitation = await invite("owner");

    const base = `/organizations/${orgId}/invitations`;
    // The owner goes last: it revokes the owner's invitation the others are refused.
    for (const role of ["member", "admin", "owner"] as const) {
      const allowed = role !== "member";
      const list = await actors[role].client.get(base);
      const resendOwners = await actors[role].client.post(`${base}/${ownerInvitation}/resend`);
      const revokeOwners = await actors[role].client.delete(`${base}/${ownerInvitation}`);
      const invitation = await invite(role === "owner" ? "owner" : "member");
      const resend = await actors[role].client.post(`${base}/${invitation}/resend`);
      const revoke = await actors[role].client.delete(`${base}/${invitation}`);
      if (allowed) {
        expect(list.status, role).toBe(200);
        expect(list.body.items.map((i: { id: string }) => i.id)).toContain(ownerInvitation);
        expect(resend.status, role).toBe(202);
        expect(resend.body.invitation.id).toBe(invitation);
        expect(revoke.status, role).toBe(204);
      } else {
        expectError(list, 403, "forbidden", role);
        expectError(resend, 403, "forbidden", role);
        expectError(revoke, 403, "forbidden", role);
      }
      if (role === "owner") {
        expect(resendOwners.status).toBe(202);
        expect(revokeOwners.status).toBe(204);
      } else {
        expectError(resendOwners, 403, "forbidden", `${role} resends an owner's invitation`);
        expectError(revokeOwners, 403, "forbidden", `${role} revokes an owner's invitation`);
      }
    }
    const left = await t.app.deps.db
      .selectFrom("invitations")
      .select(["id", "status"])
      .where("organization_id", "=", orgId)
      .where("status", "=", "pending")
      .execute();
    expect(left).toHaveLength(1); // the one the member could not revoke
  });

  it("changes a member's role exactly as the table allows each role, for every target and new role", async () => {
    const { orgId, actors, join } = await organizationWithRoles();
    const targets: Record<Role, Actor> = {
      owner: await join("owner"),
      admin: await join("admin"),
      member: await join("member"),
    };
    for (const role of ROLES) {
      for (const from of ROLES) {
        for (const to of ROLES) {
          const label = `${role} changes ${from} into ${to}`;
          const target = targets[from].memberId;
          const reply = await actors[role].client.patch(
            `/organizations/${orgId}/members/${target}`,
            { role: to },
          );
          if (MAY_CHANGE[role].includes(`${from}->${to}`)) {
            expect(reply.status, label).toBe(200);
            expect(reply.body).toMatchObject({ id: target, role: to });
            expect((await memberRow(target))?.role, label).toBe(to);
            const back = await actors.owner.client.patch(
              `/organizations/${orgId}/members/${target}`,
              { role: from },
            );
            expect(back.status, `restore after ${label}`).toBe(200);
          } else {
            expectError(reply, 403, "forbidden", label);
            expect((await memberRow(target))?.role, label).toBe(from);
          }
        }
      }
    }
  });

  it("nobody raises their own role above what they may grant", async () => {
    const { orgId, actors } = await organizationWithRoles();
    const own = (role: Role) => `/organizations/${orgId}/members/${actors[role].memberId}`;
    expectError(await actors.admin.client.patch(own("admin"), { role: "owner" }), 403, "forbidden");
    expectError(
      await actors.member.client.patch(own("member"), { role: "admin" }),
      403,
      "forbidden",
    );
    expect((await memberRow(actors.admin.memberId))?.role).toBe("admin");
    expect((await memberRow(actors.member.memberId))?.role).toBe("member");
  });

  it("removes another member exactly as the table allows each role", async () => {
    const { orgId, actors, join } = await organizationWithRoles();
    for (const role of ROLES) {
      for (const targetRole of ROLES) {
        const label = `${role} removes ${targetRole}`;
        const target = await join(targetRole);
        const reply = await actors[role].client.delete(
          `/organizations/${orgId}/members/${target.memberId}`,
        );
        if (MAY_REMOVE[role].includes(targetRole)) {
          expect(reply.status, label).toBe(204);
          expect(await memberRow(target.memberId), label).toBeUndefined();
          expectError(await target.client.get(`/organizations/${orgId}`), 404, "not_found", label);
        } else {
          expectError(reply, 403, "forbidden", label);
          expect((await memberRow(target.memberId))?.role, label).toBe(targetRole);
        }
      }
    }
  });

  it("any member may leave, an owner only while another owner remains", async () => {
    const { orgId, actors, join } = await organizationWithRoles();
    const leave = (who: Actor) =>
      who.client.delete(`/organizations/${orgId}/members/${who.memberId}`);

    expectError(await leave(actors.owner), 409, "last_owner");
    expect((await memberRow(actors.owner.memberId))?.role).toBe("owner");

    await join("owner");
    for (const role of ROLES) {
      expect((await leave(actors[role])).status, role).toBe(204);
      expect(await memberRow(actors[role].memberId), role).toBeUndefined();
      expectError(await actors[role].client.get(`/organizations/${orgId}`), 404, "not_found");
    }
    const left = await t.app.deps.db
      .selectFrom("audit_events")
      .select("subject_user_id")
      .where("organization_id", "=", orgId)
      .where("action", "=", "member.left")
      .execute();
    expect(left.map((e) => e.subject_user_id).sort()).toEqual(
      ROLES.map((role) => actors[role].userId).sort(),
    );
  });
});
