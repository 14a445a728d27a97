import { describe, expect, it } from "vitest";
import {
  addMember,
  invitationRows,
  invite,
  inviteByLink,
  newAddress,
  organizationAuditEvents,
  ownerWithOrganization,
  tokenOf,
  verifiedUser,
} from "../../test/support/invitations.js";
import { expectError, PUBLIC_URL, startTestApp } from "../../test/support/test-app.js";

const t = await startTestApp();

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

describe("GET /organizations/{org}/invitations", () => {
  it("lists the pending invitations with who sent them, and nothing answered or expired", async () => {
    const owner = await ownerWithOrganization(t, { verified: true });
    const byLink = await inviteByLink(owner.client, owner.org.id, newAddress(), "admin");
    const emailed = await invite(owner.client, owner.org.id, [newAddress()], { delivery: "email" });
    const revoked = await inviteByLink(owner.client, owner.org.id, newAddress());
    await owner.client.delete(`/organizations/${owner.org.id}/invitations/${revoked.id}`);

    const reply = await owner.client.get(`/organizations/${owner.org.slug}/invitations`);
    expect(reply.status).toBe(200);
    expect(reply.body.nextCursor).toBeNull();
    const created = t.clock.now().toISOString();
    // Ids made in the same millisecond have no set order: compare as a set.
    expect(reply.body.items).toHaveLength(2);
    expect(reply.body.items).toEqual(
      expect.arrayContaining([
        {
          id: byLink.id,
          email: byLink.email,
          role: "admin",
          delivery: "link",
          invitedBy: { name: "Olive Owner" },
          createdAt: created,
          expiresAt: byLink.expiresAt,
        },
        {
          id: emailed.body.invitations[0].id,
          email: emailed.body.invitations[0].email,
          role: "member",
          delivery: "email",
          invitedBy: { name: "Olive Owner" },
          createdAt: created,
          expiresAt: emailed.body.invitations[0].expiresAt,
        },
      ]),
    );

    t.clock.advance(7 * DAY + 60_000);
    await owner.client.post("/auth/sign-in", { email: owner.email, password: owner.password });
    const later = await owner.client.get(`/organizations/${owner.org.id}/invitations`);
    expect(later.status).toBe(200);
    expect(later.body.items).toEqual([]);
  });

  it("is for owners and admins only; a member is refused and a stranger gets 404", async () => {
    const owner = await ownerWithOrganization(t);
    const admin = await addMember(t, owner, owner.org.id, "admin");
    const member = await addMember(t, owner, owner.org.id, "member");
    const stranger = await verifiedUser(t);
    const path = `/organizations/${owner.org.id}/invitations`;
    expect((await admin.client.get(path)).status).toBe(200);
    expectError(await member.client.get(path), 403, "forbidden");
    expectError(await stranger.client.get(path), 404, "not_found");
  });
});

describe("DELETE /organizations/{org}/invitations/{id}", () => {
  it("revokes an invitation: its link is dead for preview and acceptance, and a second revoke is 404", async () => {
    const owner = await ownerWithOrganization(t);
    const invitee = await verifiedUser(t);
    const invitation = await inviteByLink(owner.client, owner.org.id, invitee.email);
    const path = `/organizations/${owner.org.id}/invitations/${invitation.id}`;

    const revoked = await owner.client.delete(path);
    expect(revoked.status).toBe(204);
    expectError(await t.client().get(`/invitations/${invitation.token}`), 404, "not_found");
    expectError(
      await invitee.client.post(`/invitations/${invitation.token}/accept`),
      404,
      "not_found",
    );
    expectError(await owner.client.delete(path), 404, "not_found");

    const events = await organizationAuditEvents(t, owner.org.id, "invitation.revoked");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_id: owner.user.id, target_id: invitation.id });
    const [row] = await invitationRows(t, owner.org.id);
    expect(row?.status).toBe("revoked");
  });

  it("lets an admin revoke a member's invitation but not revoke or resend an owner's, and a member nothing", async () => {
    const owner = await ownerWithOrganization(t);
    const admin = await addMember(t, owner, owner.org.id, "admin");
    const member = await addMember(t, owner, owner.org.id, "member");
    const forOwner = await inviteByLink(owner.client, owner.org.id, newAddress(), "owner");
    const forMember = await inviteByLink(owner.client, owner.org.id, newAddress(), "member");
    const path = (id: string) => `/organizations/${owner.org.id}/invitations/${id}`;

    expectError(await member.client.delete(path(forMember.id)), 403, "forbidden");
    expectError(await admin.client.delete(path(forOwner.id)), 403, "forbidden");
    expectError(await admin.client.post(`${path(forOwner.id)}/resend`), 403, "forbidden");
    expect((await admin.client.delete(path(forMember.id))).status).toBe(204);
    expect((await t.client().get(`/invitations/${forOwner.token}`)).status).toBe(200);
  });

  it("answers 404 for an invitation of another organization", async () => {
    const owner = await ownerWithOrganization(t);
    const other = await ownerWithOrganization(t);
    const theirs = await inviteByLink(other.client, other.org.id, newAddress());
    expectError(
      await owner.client.delete(`/organizations/${owner.org.id}/invitations/${theirs.id}`),
      404,
      "not_found",
    );
    expect((await t.client().get(`/invitations/${theirs.token}`)).status).toBe(200);
  });
});

describe("POST /organizations/{org}/invitations/{id}/resend", () => {
  it("gives a link invitation a new url and expiry; the old link is dead, the new one works", async () => {
    const owner = await ownerWithOrganization(t);
    const invitee = await verifiedUser(t);
    const invitation = await inviteByLink(owner.client, owner.org.id, invitee.email);
    t.clock.advance(HOUR);

    const reply = await owner.client.post(
      `/organizations/${owner.org.id}/invitations/${invitation.id}/resend`,
    );
    expect(reply.status).toBe(202);
    const resent = reply.body.invitation;
    expect(resent).toMatchObject({ id: invitation.id, email: invitee.email, role: "member" });
    expect(Date.parse(resent.expiresAt)).toBe(t.clock.now().getTime() + 7 * DAY);
    expect(Date.parse(resent.expiresAt)).toBeGreaterThan(Date.parse(invitation.expiresAt));
    expect(resent.url).toMatch(new RegExp(`^${PUBLIC_URL}/invite/`));
    const token = tokenOf(resent.url);
    expect(token).not.toBe(invitation.token);

    expectError(await t.client().get(`/invitations/${invitation.token}`), 404, "not_found");
    expectError(
      await invitee.client.post(`/invitations/${invitation.token}/accept`),
      404,
      "not_found",
    );
    const preview = await t.client().get(`/invitations/${token}`);
    expect(preview.status).toBe(200);
    expect(preview.body.expiresAt).toBe(resent.expiresAt);
    expect((await invitee.client.post(`/invitations/${token}/accept`)).status).toBe(200);

    const events = await organizationAuditEvents(t, owner.org.id, "invitation.resent");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_id: owner.user.id, target_id: invitation.id });
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it("emails an email invitation again with a new link and returns no url", async () => {
    const owner = await ownerWithOrganization(t, { verified: true });
    const email = newAddress();
    const created = await invite(owner.client, owner.org.id, [email], { delivery: "email" });
    const id = created.body.invitations[0].id;
    await t.flushMail();
    const oldToken = t.mailbox.tokenFor(email, "invite");

    const reply = await owner.client.post(
      `/organizations/${owner.org.id}/invitations/${id}/resend`,
    );
    expect(reply.status).toBe(202);
    expect(reply.body.invitation.url).toBeUndefined();
    await t.flushMail();
    expect(t.mailbox.to(email)).toHaveLength(2);
    const newToken = t.mailbox.tokenFor(email, "invite");
    expect(newToken).not.toBe(oldToken);
    expectError(await t.client().get(`/invitations/${oldToken}`), 404, "not_found");
    expect((await t.client().get(`/invitations/${newToken}`)).status).toBe(200);
  });

  it("cannot resend a revoked or accepted invitation", async () => {
    const owner = await ownerWithOrganization(t);
    const revoked = await inviteByLink(owner.client, owner.org.id, newAddress());
    await owner.client.delete(`/organizations/${owner.org.id}/invitations/${revoked.id}`);
    const member = await addMember(t, owner, owner.org.id, "member");
    const accepted = (await invitationRows(t, owner.org.id)).find((r) => r.email === member.email);

    for (const id of [revoked.id, accepted?.id]) {
      expectError(
        await owner.client.post(`/organizations/${owner.org.id}/invitations/${id}/resend`),
        404,
        "not_found",
      );
    }
    expect(await organizationAuditEvents(t, owner.org.id, "invitation.resent")).toHaveLength(0);
  });
});

describe("audit of invitations", () => {
  it("records invitation.created for each invitation with the inviter, role and delivery", async () => {
    const owner = await ownerWithOrganization(t, { verified: true });
    const email = newAddress();
    const created = await invite(owner.client, owner.org.id, [email, "broken"], {
      delivery: "email",
      role: "admin",
    });
    const events = await organizationAuditEvents(t, owner.org.id, "invitation.created");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor_type: "user",
      actor_id: owner.user.id,
      target_type: "invitation",
      target_id: created.body.invitations[0].id,
      ip_address: owner.client.ip,
      user_agent: owner.client.userAgent,
      metadata: { email, role: "admin", delivery: "email" },
    });
  });
});
