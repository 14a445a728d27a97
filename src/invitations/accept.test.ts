import { describe, expect, it } from "vitest";
import {
  invitationRows,
  inviteByLink,
  newAddress,
  organizationAuditEvents,
  ownerWithOrganization,
  verifiedUser,
} from "../../test/support/invitations.js";
import { expectError, signUpUser, startTestApp } from "../../test/support/test-app.js";
import { newToken } from "../lib/tokens.js";

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

/** An organization, and a verified account invited to it by link. */
async function invitedAccount(role: "owner" | "admin" | "member" = "member") {
  const owner = await ownerWithOrganization(t);
  const invitee = await verifiedUser(t, { name: "Ivy Invitee" });
  const invitation = await inviteByLink(owner.client, owner.org.id, invitee.email, role);
  return { owner, invitee, invitation };
}

describe("GET /invitations/{token}", () => {
  it("shows anyone holding the link exactly the organization name, role, inviter, email and expiry", async () => {
    const { owner, invitee, invitation } = await invitedAccount("admin");
    const reply = await t.client().get(`/invitations/${invitation.token}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      organization: { name: owner.org.name },
      role: "admin",
      invitedBy: { name: "Olive Owner" },
      email: invitee.email,
      expiresAt: invitation.expiresAt,
      status: "pending",
    });
    expect(reply.headers["referrer-policy"]).toBe("no-referrer");
  });

  it("answers 410 invitation_expired once the invitation has expired", async () => {
    const { invitation } = await invitedAccount();
    t.clock.advance(7 * DAY + 60_000);
    expectError(
      await t.client().get(`/invitations/${invitation.token}`),
      410,
      "invitation_expired",
    );
  });

  it("answers the same 404 for an unknown, used, revoked, declined or replaced token", async () => {
    const owner = await ownerWithOrganization(t);
    const link = (email: string) => inviteByLink(owner.client, owner.org.id, email);
    const path = `/organizations/${owner.org.id}/invitations`;

    const acceptor = await verifiedUser(t);
    const used = await link(acceptor.email);
    expect((await acceptor.client.post(`/invitations/${used.token}/accept`)).status).toBe(200);

    const decliner = await verifiedUser(t);
    const declined = await link(decliner.email);
    expect((await decliner.client.post(`/invitations/${declined.token}/decline`)).status).toBe(204);

    const revoked = await link(newAddress());
    expect((await owner.client.delete(`${path}/${revoked.id}`)).status).toBe(204);

    const replaced = await link(newAddress());
    expect((await owner.client.post(`${path}/${replaced.id}/resend`)).status).toBe(202);

    const dead = {
      garbage: "not-a-token",
      unknown: newToken(),
      used: used.token,
      declined: declined.token,
      revoked: revoked.token,
      replaced: replaced.token,
    };
    for (const [kind, token] of Object.entries(dead)) {
      const reply = await t.client().get(`/invitations/${token}`);
      expectError(reply, 404, "not_found", kind);
      expect(reply.body.error.message).toBe(
        "This invitation is not valid: it may have been used, revoked or replaced.",
      );
    }
  });

  it("limits token guessing per client address with 429 and Retry-After", async () => {
    const { invitation } = await invitedAccount();
    const guesser = t.client();
    for (let i = 0; i < 30; i++) {
      expectError(await guesser.get(`/invitations/${newToken()}`), 404, "not_found", `guess ${i}`);
    }
    const limited = await guesser.get(`/invitations/${newToken()}`);
    expectError(limited, 429, "rate_limited");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expectError(await guesser.get(`/invitations/${invitation.token}`), 429, "rate_limited");
    expect((await t.client().get(`/invitations/${invitation.token}`)).status).toBe(200);
  });
});

describe("POST /invitations/{token}/accept", () => {
  it("makes the invited, verified account a member with the invited role", async () => {
    const { owner, invitee, invitation } = await invitedAccount("admin");
    const reply = await invitee.client.post(`/invitations/${invitation.token}/accept`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      organization: { id: owner.org.id, slug: owner.org.slug, name: owner.org.name },
      role: "admin",
      joinedAt: t.clock.now().toISOString(),
    });

    const mine = await invitee.client.get("/me/organizations");
    expect(mine.body.items).toContainEqual(reply.body);
    const members = await owner.client.get(`/organizations/${owner.org.id}/members`);
    expect(members.body.items).toContainEqual(
      expect.objectContaining({ user: expect.objectContaining({ id: invitee.user.id }) }),
    );
    const [row] = await invitationRows(t, owner.org.id);
    expect(row?.status).toBe("accepted");

    const accepted = await organizationAuditEvents(t, owner.org.id, "invitation.accepted");
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({
      actor_id: invitee.user.id,
      subject_user_id: invitee.user.id,
      target_id: invitation.id,
      metadata: { email: invitee.email, role: "admin" },
    });
    const added = await organizationAuditEvents(t, owner.org.id, "member.added");
    expect(added.filter((e) => e.target_id === invitee.user.id).map((e) => e.metadata)).toEqual([
      { email: invitee.email, name: "Ivy Invitee", role: "admin", via: "invitation" },
    ]);
  });

  it("refuses another signed-in account with invitation_email_mismatch", async () => {
    const { owner, invitation } = await invitedAccount();
    const other = await verifiedUser(t);
    expectError(
      await other.client.post(`/invitations/${invitation.token}/accept`),
      403,
      "invitation_email_mismatch",
    );
    expectError(
      await other.client.post(`/invitations/${invitation.token}/decline`),
      403,
      "invitation_email_mismatch",
    );
    expect(await membershipRows(owner.org.id, other.user.id)).toEqual([]);
    expect((await invitationRows(t, owner.org.id))[0]?.status).toBe("pending");
  });

  it("refuses the invited account until its email is verified", async () => {
    const owner = await ownerWithOrganization(t);
    const invitee = await signUpUser(t);
    const invitation = await inviteByLink(owner.client, owner.org.id, invitee.email);
    expectError(
      await invitee.client.post(`/invitations/${invitation.token}/accept`),
      403,
      "email_not_verified",
    );
    expect(await membershipRows(owner.org.id, invitee.user.id)).toEqual([]);

    await t.flushMail();
    const token = t.mailbox.tokenFor(invitee.email, "verify-email");
    expect((await invitee.client.post("/auth/verify-email", { token })).status).toBe(204);
    expect((await invitee.client.post(`/invitations/${invitation.token}/accept`)).status).toBe(200);
  });

  it("refuses with domain_not_allowed when the organization narrowed its domains after inviting", async () => {
    const { owner, invitee, invitation } = await invitedAccount();
    const patched = await owner.client.patch(`/organizations/${owner.org.id}`, {
      allowedEmailDomains: ["acme.com"],
    });
    expect(patched.status).toBe(200);
    expectError(
      await invitee.client.post(`/invitations/${invitation.token}/accept`),
      422,
      "domain_not_allowed",
    );
    expect(await membershipRows(owner.org.id, invitee.user.id)).toEqual([]);
  });

  it("needs a signed-in account", async () => {
    const { invitation } = await invitedAccount();
    expectError(
      await t.client().post(`/invitations/${invitation.token}/accept`),
      401,
      "unauthenticated",
    );
  });

  it("works once: a second acceptance is 404", async () => {
    const { invitee, invitation } = await invitedAccount();
    expect((await invitee.client.post(`/invitations/${invitation.token}/accept`)).status).toBe(200);
    expectError(
      await invitee.client.post(`/invitations/${invitation.token}/accept`),
      404,
      "not_found",
    );
  });

  it("yields exactly one membership when accepted twenty times at once", async () => {
    const { owner, invitee, invitation } = await invitedAccount();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        invitee.client.post(`/invitations/${invitation.token}/accept`),
      ),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const reply of replies.filter((r) => r.status !== 200))
      expectError(reply, 404, "not_found");
    expect(await membershipRows(owner.org.id, invitee.user.id)).toHaveLength(1);
    expect(await organizationAuditEvents(t, owner.org.id, "invitation.accepted")).toHaveLength(1);
  });

  it("answers 410 for an expired invitation and creates no membership", async () => {
    const { owner, invitee, invitation } = await invitedAccount();
    t.clock.advance(7 * DAY + 60_000);
    await invitee.client.post("/auth/sign-in", {
      email: invitee.email,
      password: invitee.password,
    });
    expectError(
      await invitee.client.post(`/invitations/${invitation.token}/accept`),
      410,
      "invitation_expired",
    );
    expect(await membershipRows(owner.org.id, invitee.user.id)).toEqual([]);
  });
});

describe("POST /invitations/{token}/decline", () => {
  it("declines: 204, no membership, the link is dead, and invitation.declined is recorded", async () => {
    const { owner, invitee, invitation } = await invitedAccount();
    expect((await invitee.client.post(`/invitations/${invitation.token}/decline`)).status).toBe(
      204,
    );
    expect(await membershipRows(owner.org.id, invitee.user.id)).toEqual([]);
    expectError(await t.client().get(`/invitations/${invitation.token}`), 404, "not_found");
    expectError(
      await invitee.client.post(`/invitations/${invitation.token}/accept`),
      404,
      "not_found",
    );
    const events = await organizationAuditEvents(t, owner.org.id, "invitation.declined");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor_id: invitee.user.id,
      target_id: invitation.id,
      metadata: { email: invitee.email, role: "member" },
    });
  });
});
