import { describe, expect, it } from "vitest";
import {
  addMember,
  invitationRows,
  inviteByLink,
  newAddress,
  organizationAuditEvents,
  ownerWithOrganization,
  verifiedUser,
} from "../../test/support/invitations.js";
import { type Client, expectError, startTestApp } from "../../test/support/test-app.js";

// An invitation carries its inviter's authority only while the inviter has it: when a member
// is removed, leaves, is demoted or deletes their account, the pending invitations they sent
// for roles they can no longer grant are revoked, and each revocation is audited.
const t = await startTestApp();

type Role = "owner" | "admin" | "member";

async function memberIdOf(viewer: Client, org: string, userId: string): Promise<string> {
  const reply = await viewer.get(`/organizations/${org}/members?limit=200`);
  expect(reply.status).toBe(200);
  const member = reply.body.items.find((m: { user: { id: string } }) => m.user.id === userId);
  expect(member).toBeDefined();
  return member.id;
}

/** An organization with its owner and a second person of the given role who sends invitations. */
async function withInviter(role: "owner" | "admin") {
  const owner = await ownerWithOrganization(t);
  const org = owner.org.id;
  const inviter =
    role === "admin"
      ? await addMember(t, owner, org, "admin")
      : await (async () => {
          const user = await verifiedUser(t);
          const invitation = await inviteByLink(owner.client, org, user.email, "owner");
          expect((await user.client.post(`/invitations/${invitation.token}/accept`)).status).toBe(
            200,
          );
          return user;
        })();
  const inviterMemberId = await memberIdOf(owner.client, org, inviter.user.id);
  return { owner, org, inviter, inviterMemberId };
}

/** Sends one link invitation per role, each to a fresh address. */
async function inviteEach(client: Client, org: string, roles: Role[]) {
  const sent: Partial<Record<Role, { id: string; token: string; email: string }>> = {};
  for (const role of roles) sent[role] = await inviteByLink(client, org, newAddress(), role);
  return sent as Record<Role, { id: string; token: string; email: string }>;
}

const preview = (token: string) => t.client().get(`/invitations/${token}`);

async function expectRevoked(token: string) {
  expectError(await preview(token), 404, "not_found");
}

async function expectPending(token: string) {
  expect((await preview(token)).status).toBe(200);
}

async function revocations(org: string) {
  const events = await organizationAuditEvents(t, org, "invitation.revoked");
  return events.map((e) => ({
    actor: e.actor_id,
    invitation: e.target_id,
    metadata: e.metadata,
  }));
}

describe("a removed admin", () => {
  it("cannot rejoin through an admin invitation sent earlier to a second address of their own", async () => {
    const { owner, org, inviter: admin, inviterMemberId } = await withInviter("admin");
    const secondSelf = await verifiedUser(t, { name: "Admin Again" });
    const backdoor = await inviteByLink(admin.client, org, secondSelf.email, "admin");
    const memberInvite = await inviteByLink(admin.client, org, newAddress(), "member");
    const ownersOwn = await inviteByLink(owner.client, org, newAddress(), "admin");

    expect(
      (await owner.client.delete(`/organizations/${org}/members/${inviterMemberId}`)).status,
    ).toBe(204);

    await expectRevoked(backdoor.token);
    await expectRevoked(memberInvite.token);
    expectError(
      await secondSelf.client.post(`/invitations/${backdoor.token}/accept`),
      404,
      "not_found",
    );
    expect((await secondSelf.client.get("/me/organizations")).body.items).not.toContainEqual(
      expect.objectContaining({ organization: expect.objectContaining({ id: org }) }),
    );
    // Invitations sent by anyone else stay.
    await expectPending(ownersOwn.token);
    const pending = await owner.client.get(`/organizations/${org}/invitations`);
    expect(pending.body.items.map((i: { id: string }) => i.id)).toEqual([ownersOwn.id]);

    expect(await revocations(org)).toEqual([
      {
        actor: owner.user.id,
        invitation: backdoor.id,
        metadata: { email: secondSelf.email, role: "admin", reason: "inviter_removed" },
      },
      {
        actor: owner.user.id,
        invitation: memberInvite.id,
        metadata: { email: memberInvite.email, role: "member", reason: "inviter_removed" },
      },
    ]);
  });
});

describe("a member who leaves", () => {
  it("takes the invitations they sent with them, recorded with the reason inviter_left", async () => {
    const { org, inviter: admin, inviterMemberId } = await withInviter("admin");
    const sent = await inviteEach(admin.client, org, ["admin", "member"]);
    expect(
      (await admin.client.delete(`/organizations/${org}/members/${inviterMemberId}`)).status,
    ).toBe(204);
    await expectRevoked(sent.admin.token);
    await expectRevoked(sent.member.token);
    const events = await revocations(org);
    expect(events.map((e) => [e.actor, e.metadata.reason])).toEqual([
      [admin.user.id, "inviter_left"],
      [admin.user.id, "inviter_left"],
    ]);
  });
});

describe("a demoted member", () => {
  it("owner to admin: the owner invitations they sent are revoked, admin and member ones stay", async () => {
    const { owner, org, inviter, inviterMemberId } = await withInviter("owner");
    const sent = await inviteEach(inviter.client, org, ["owner", "admin", "member"]);

    const demoted = await owner.client.patch(`/organizations/${org}/members/${inviterMemberId}`, {
      role: "admin",
    });
    expect(demoted.status).toBe(200);

    await expectRevoked(sent.owner.token);
    await expectPending(sent.admin.token);
    await expectPending(sent.member.token);
    expect(await revocations(org)).toEqual([
      {
        actor: owner.user.id,
        invitation: sent.owner.id,
        metadata: { email: sent.owner.email, role: "owner", reason: "inviter_demoted" },
      },
    ]);
  });

  it("admin to member: every invitation they sent is revoked", async () => {
    const { owner, org, inviter: admin, inviterMemberId } = await withInviter("admin");
    const sent = await inviteEach(admin.client, org, ["admin", "member"]);

    const demoted = await owner.client.patch(`/organizations/${org}/members/${inviterMemberId}`, {
      role: "member",
    });
    expect(demoted.status).toBe(200);

    await expectRevoked(sent.admin.token);
    await expectRevoked(sent.member.token);
    const rows = await invitationRows(t, org);
    expect(rows.filter((r) => r.status === "pending")).toEqual([]);
    expect((await revocations(org)).map((e) => e.metadata)).toEqual([
      { email: sent.admin.email, role: "admin", reason: "inviter_demoted" },
      { email: sent.member.email, role: "member", reason: "inviter_demoted" },
    ]);
  });

  it("admin to owner (a promotion) revokes nothing", async () => {
    const { owner, org, inviter: admin, inviterMemberId } = await withInviter("admin");
    const sent = await inviteEach(admin.client, org, ["admin", "member"]);
    const promoted = await owner.client.patch(`/organizations/${org}/members/${inviterMemberId}`, {
      role: "owner",
    });
    expect(promoted.status).toBe(200);
    await expectPending(sent.admin.token);
    await expectPending(sent.member.token);
    expect(await revocations(org)).toEqual([]);
  });
});

describe("a member who deletes their account", () => {
  it("leaves no invitation of theirs pending", async () => {
    const { owner, org, inviter: admin } = await withInviter("admin");
    const sent = await inviteEach(admin.client, org, ["admin", "member"]);
    expect((await admin.client.delete("/me")).status).toBe(204);
    await expectRevoked(sent.admin.token);
    await expectRevoked(sent.member.token);
    const events = await revocations(org);
    expect(events.map((e) => [e.actor, e.metadata.reason])).toEqual([
      [admin.user.id, "inviter_deleted"],
      [admin.user.id, "inviter_deleted"],
    ]);
    expect((await owner.client.get(`/organizations/${org}/invitations`)).body.items).toEqual([]);
  });
});

describe("an invitation sent while its inviter is being removed", () => {
  it("is never left pending, whichever commits first", async () => {
    for (let round = 0; round < 5; round++) {
      const { owner, org, inviter: admin, inviterMemberId } = await withInviter("admin");
      const [invited, removed] = await Promise.all([
        admin.client.post(`/organizations/${org}/invitations`, {
          emails: [newAddress()],
          role: "admin",
          delivery: "link",
        }),
        owner.client.delete(`/organizations/${org}/members/${inviterMemberId}`),
      ]);
      expect(removed.status).toBe(204);
      // Either the invitation came first (and was revoked with its inviter) or it was refused.
      if (invited.status !== 201) expectError(invited, 404, "not_found");
      const rows = await invitationRows(t, org);
      expect(rows.filter((r) => r.status === "pending" && r.role === "admin")).toEqual([]);
    }
  });
});
