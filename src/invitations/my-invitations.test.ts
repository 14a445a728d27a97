import { describe, expect, it } from "vitest";
import {
  invitationRows,
  invite,
  inviteByLink,
  newAddress,
  organizationAuditEvents,
  ownerWithOrganization,
  verifiedUser,
  verifyEmail,
} from "../../test/support/invitations.js";
import { expectError, signUpUser, startTestApp } from "../../test/support/test-app.js";

const t = await startTestApp();

const DAY = 24 * 60 * 60_000;

function membershipRows(organizationId: string, userId: string) {
  return t.app.deps.db
    .selectFrom("organization_members")
    .selectAll()
    .where("organization_id", "=", organizationId)
    .where("user_id", "=", userId)
    .execute();
}

describe("GET /me/invitations", () => {
  it("lists the pending invitations to the account's verified email, from every organization", async () => {
    const acme = await ownerWithOrganization(t, { name: "Acme Corp", verified: true });
    const globex = await ownerWithOrganization(t, { name: "Globex", verified: true });
    const invitee = await verifiedUser(t);
    const fromAcme = await inviteByLink(acme.client, acme.org.id, invitee.email, "admin");
    const fromGlobex = await invite(globex.client, globex.org.id, [invitee.email.toUpperCase()], {
      delivery: "email",
    });
    await inviteByLink(acme.client, acme.org.id, newAddress()); // someone else's
    const revoked = await inviteByLink(globex.client, globex.org.id, newAddress());
    await globex.client.delete(`/organizations/${globex.org.id}/invitations/${revoked.id}`);

    const reply = await invitee.client.get("/me/invitations");
    expect(reply.status).toBe(200);
    // Ids made in the same millisecond have no set order: compare as a set.
    expect(reply.body.nextCursor).toBeNull();
    expect(reply.body.items).toHaveLength(2);
    expect(reply.body.items).toEqual(
      expect.arrayContaining([
        {
          id: fromAcme.id,
          organization: { id: acme.org.id, name: "Acme Corp" },
          role: "admin",
          invitedBy: { name: "Olive Owner" },
          expiresAt: fromAcme.expiresAt,
        },
        {
          id: fromGlobex.body.invitations[0].id,
          organization: { id: globex.org.id, name: "Globex" },
          role: "member",
          invitedBy: { name: "Olive Owner" },
          expiresAt: fromGlobex.body.invitations[0].expiresAt,
        },
      ]),
    );
  });

  it("is empty while the account's email is unverified, and shows the invitation once verified", async () => {
    const owner = await ownerWithOrganization(t);
    const invitee = await signUpUser(t);
    const invitation = await inviteByLink(owner.client, owner.org.id, invitee.email);

    const before = await invitee.client.get("/me/invitations");
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ items: [], nextCursor: null });
    expectError(
      await invitee.client.post(`/me/invitations/${invitation.id}/accept`),
      404,
      "not_found",
    );

    await verifyEmail(t, invitee);
    const after = await invitee.client.get("/me/invitations");
    expect(after.body.items.map((i: { id: string }) => i.id)).toEqual([invitation.id]);
  });

  it("leaves out answered and expired invitations", async () => {
    const owner = await ownerWithOrganization(t);
    const invitee = await verifiedUser(t);
    const invitation = await inviteByLink(owner.client, owner.org.id, invitee.email);
    t.clock.advance(7 * DAY + 60_000);
    await invitee.client.post("/auth/sign-in", {
      email: invitee.email,
      password: invitee.password,
    });
    expect((await invitee.client.get("/me/invitations")).body.items).toEqual([]);
    expectError(
      await invitee.client.post(`/me/invitations/${invitation.id}/accept`),
      410,
      "invitation_expired",
    );
  });

  it("needs a signed-in account", async () => {
    expectError(await t.client().get("/me/invitations"), 401, "unauthenticated");
  });
});

describe("POST /me/invitations/{id}/accept and /decline", () => {
  it("accepts an invitation of the list like by token: 200 the membership, and it leaves the list", async () => {
    const owner = await ownerWithOrganization(t);
    const invitee = await verifiedUser(t);
    const invitation = await inviteByLink(owner.client, owner.org.id, invitee.email, "admin");

    const reply = await invitee.client.post(`/me/invitations/${invitation.id}/accept`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      organization: { id: owner.org.id, slug: owner.org.slug, name: owner.org.name },
      role: "admin",
      joinedAt: t.clock.now().toISOString(),
    });
    expect(await membershipRows(owner.org.id, invitee.user.id)).toHaveLength(1);
    expect((await invitee.client.get("/me/invitations")).body.items).toEqual([]);
    expectError(await t.client().get(`/invitations/${invitation.token}`), 404, "not_found");
    expectError(
      await invitee.client.post(`/me/invitations/${invitation.id}/accept`),
      404,
      "not_found",
    );
    expect(await organizationAuditEvents(t, owner.org.id, "invitation.accepted")).toHaveLength(1);
    const added = await organizationAuditEvents(t, owner.org.id, "member.added");
    expect(added.filter((e) => e.target_id === invitee.user.id)).toHaveLength(1);
  });

  it("declines an invitation of the list: 204, no membership, and its link is dead", async () => {
    const owner = await ownerWithOrganization(t);
    const invitee = await verifiedUser(t);
    const invitation = await inviteByLink(owner.client, owner.org.id, invitee.email);

    expect((await invitee.client.post(`/me/invitations/${invitation.id}/decline`)).status).toBe(
      204,
    );
    expect(await membershipRows(owner.org.id, invitee.user.id)).toEqual([]);
    expectError(await t.client().get(`/invitations/${invitation.token}`), 404, "not_found");
    const events = await organizationAuditEvents(t, owner.org.id, "invitation.declined");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_id: invitee.user.id, target_id: invitation.id });
  });

  it("answers 404 for the id of an invitation addressed to someone else, and changes nothing", async () => {
    const owner = await ownerWithOrganization(t);
    const invitee = await verifiedUser(t);
    const intruder = await verifiedUser(t);
    const invitation = await inviteByLink(owner.client, owner.org.id, invitee.email);

    for (const answer of ["accept", "decline"]) {
      expectError(
        await intruder.client.post(`/me/invitations/${invitation.id}/${answer}`),
        404,
        "not_found",
      );
    }
    expectError(await intruder.client.post("/me/invitations/inv_unknown/accept"), 404, "not_found");
    expect(await membershipRows(owner.org.id, intruder.user.id)).toEqual([]);
    expect((await invitationRows(t, owner.org.id))[0]?.status).toBe("pending");
    expect((await invitee.client.post(`/me/invitations/${invitation.id}/accept`)).status).toBe(200);
  });
});
