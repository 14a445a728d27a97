import { describe, expect, it } from "vitest";
import {
  addMember,
  invitationRows,
  invite,
  newAddress,
  organizationAuditEvents,
  ownerWithOrganization,
  tokenOf,
} from "../../test/support/invitations.js";
import { expectError, PUBLIC_URL, signUpUser, startTestApp } from "../../test/support/test-app.js";
import { hashToken } from "../lib/tokens.js";

const t = await startTestApp();

const DAY = 24 * 60 * 60_000;

describe("POST /organizations/{org}/invitations", () => {
  it("emails one link per address through the outbox and returns no url", async () => {
    const { client, org } = await ownerWithOrganization(t, { verified: true });
    const emails = [newAddress(), newAddress()];
    const reply = await invite(client, org.id, emails, { delivery: "email" });
    expect(reply.status).toBe(201);
    expect(reply.body.rejected).toEqual([]);
    expect(reply.body.invitations).toHaveLength(2);
    for (const invitation of reply.body.invitations) {
      expect(Object.keys(invitation).sort()).toEqual(["email", "expiresAt", "id", "role"]);
      expect(invitation.id).toMatch(/^inv_/);
      expect(invitation.role).toBe("member");
      expect(Date.parse(invitation.expiresAt) - t.clock.now().getTime()).toBe(7 * DAY);
    }
    for (const email of emails) expect(t.mailbox.to(email)).toHaveLength(0);

    await t.flushMail();
    for (const email of emails) {
      const messages = t.mailbox.to(email);
      expect(messages).toHaveLength(1);
      const token = t.mailbox.tokenFor(email, "invite");
      expect(messages[0]?.text).toContain(`${PUBLIC_URL}/invite/${token}`);
      const preview = await t.client().get(`/invitations/${token}`);
      expect(preview.status).toBe(200);
      expect(preview.body.email).toBe(email);
    }
  });

  it("returns the link for link delivery and sends no email", async () => {
    const { client, org } = await ownerWithOrganization(t);
    const email = newAddress();
    const reply = await invite(client, org.id, [email], { delivery: "link", role: "admin" });
    expect(reply.status).toBe(201);
    const [invitation] = reply.body.invitations;
    expect(invitation).toMatchObject({ email, role: "admin" });
    expect(invitation.url).toMatch(new RegExp(`^${PUBLIC_URL}/invite/[A-Za-z0-9_-]{43}$`));
    await t.flushMail();
    expect(t.mailbox.to(email)).toHaveLength(0);
    const preview = await t.client().get(`/invitations/${tokenOf(invitation.url)}`);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ email, role: "admin" });
  });

  it("accepts 100 addresses in one request and refuses 101", async () => {
    const { client, org } = await ownerWithOrganization(t);
    const hundred = Array.from({ length: 100 }, (_, i) => `bulk${i}@example.com`);
    const reply = await invite(client, org.id, hundred);
    expect(reply.status).toBe(201);
    expect(reply.body.invitations).toHaveLength(100);

    const tooMany = Array.from({ length: 101 }, (_, i) => `more${i}@example.com`);
    expectError(await invite(client, org.id, tooMany), 400, "invalid_request");
    expect(await invitationRows(t, org.id)).toHaveLength(100);
  });

  it("rejects invalid and repeated addresses one by one while inviting the rest", async () => {
    const { client, org } = await ownerWithOrganization(t);
    const reply = await invite(client, org.id, [
      "not-an-email",
      "Dana@Example.com",
      "dana@example.COM",
      "  eve@example.com  ",
    ]);
    expect(reply.status).toBe(201);
    expect(reply.body.invitations.map((i: { email: string }) => i.email)).toEqual([
      "Dana@Example.com",
      "eve@example.com",
    ]);
    expect(reply.body.rejected).toEqual([
      { email: "not-an-email", code: "invalid_email" },
      { email: "dana@example.COM", code: "duplicate" },
    ]);
  });

  it("invites only the organization's allowed domain, exactly, refusing look-alikes", async () => {
    const { client, org } = await ownerWithOrganization(t, { allowedEmailDomains: ["acme.com"] });
    const lookAlikes = [
      "a@acme.com.evil.io",
      "b@evil-acme.com",
      "c@sub.acme.com",
      "d@\u0430cme.com", // Cyrillic а
    ];
    const reply = await invite(client, org.id, [...lookAlikes, "E@ACME.COM"]);
    expect(reply.status).toBe(201);
    expect(reply.body.invitations.map((i: { email: string }) => i.email)).toEqual(["E@ACME.COM"]);
    expect(reply.body.rejected).toEqual(
      lookAlikes.map((email) => ({ email, code: "domain_not_allowed" })),
    );
  });

  it("rejects members and addresses with a pending invitation, without a second row", async () => {
    const owner = await ownerWithOrganization(t);
    const member = await addMember(t, owner, owner.org.id, "member");
    const pending = newAddress();
    expect((await invite(owner.client, owner.org.id, [pending])).status).toBe(201);

    const reply = await invite(owner.client, owner.org.id, [
      owner.email,
      member.email.toUpperCase(),
      pending,
    ]);
    expect(reply.status).toBe(201);
    expect(reply.body.invitations).toEqual([]);
    expect(reply.body.rejected).toEqual([
      { email: owner.email, code: "already_member" },
      { email: member.email.toUpperCase(), code: "already_member" },
      { email: pending, code: "already_invited" },
    ]);
    const rows = await invitationRows(t, owner.org.id);
    expect(rows.filter((r) => r.email === pending)).toHaveLength(1);
  });

  it("creates one invitation when two requests invite the same address at once", async () => {
    const { client, org } = await ownerWithOrganization(t, { verified: true });
    const email = newAddress();
    const replies = await Promise.all([
      invite(client, org.id, [email], { delivery: "email" }),
      invite(client, org.id, [email.toUpperCase()], { delivery: "email" }),
    ]);
    expect(replies.map((r) => r.status)).toEqual([201, 201]);
    const created = replies.flatMap((r) => r.body.invitations);
    const rejected = replies.flatMap((r) => r.body.rejected);
    expect(created).toHaveLength(1);
    expect(rejected).toEqual([{ email: expect.any(String), code: "already_invited" }]);
    expect(await invitationRows(t, org.id)).toHaveLength(1);
    await t.flushMail();
    expect(t.mailbox.to(email).length + t.mailbox.to(email.toUpperCase()).length).toBe(1);
  });

  it("invites an address again once its pending invitation has expired", async () => {
    const owner = await ownerWithOrganization(t);
    const email = newAddress();
    const first = await invite(owner.client, owner.org.id, [email]);
    t.clock.advance(7 * DAY + 60_000);
    const signedIn = await owner.client.post("/auth/sign-in", {
      email: owner.email,
      password: owner.password,
    });
    expect(signedIn.status).toBe(200);

    const again = await invite(owner.client, owner.org.id, [email]);
    expect(again.status).toBe(201);
    expect(again.body.rejected).toEqual([]);
    expect(again.body.invitations[0].id).not.toBe(first.body.invitations[0].id);
    const preview = await t.client().get(`/invitations/${tokenOf(again.body.invitations[0].url)}`);
    expect(preview.status).toBe(200);
    expectError(
      await t.client().get(`/invitations/${tokenOf(first.body.invitations[0].url)}`),
      410,
      "invitation_expired",
    );
  });

  it("refuses the whole request when an admin invites an owner, and members may not invite", async () => {
    const owner = await ownerWithOrganization(t);
    const admin = await addMember(t, owner, owner.org.id, "admin");
    const member = await addMember(t, owner, owner.org.id, "member");
    const before = (await invitationRows(t, owner.org.id)).length;

    expectError(
      await invite(admin.client, owner.org.id, [newAddress()], { role: "owner" }),
      403,
      "forbidden",
    );
    expectError(await invite(member.client, owner.org.id, [newAddress()]), 403, "forbidden");
    expect(await invitationRows(t, owner.org.id)).toHaveLength(before);

    const allowed = await invite(admin.client, owner.org.id, [newAddress()], { role: "admin" });
    expect(allowed.status).toBe(201);
    expect(allowed.body.invitations).toHaveLength(1);
  });

  it("answers 404 to someone outside the organization", async () => {
    const { org } = await ownerWithOrganization(t);
    const stranger = await signUpUser(t);
    expectError(await invite(stranger.client, org.id, [newAddress()]), 404, "not_found");
    expect(await invitationRows(t, org.id)).toHaveLength(0);
  });

  it("stores the token only as its hash and keeps it out of the audit log", async () => {
    const { client, org } = await ownerWithOrganization(t);
    const reply = await invite(client, org.id, [newAddress()]);
    const token = tokenOf(reply.body.invitations[0].url);
    const [row] = await invitationRows(t, org.id);
    expect(row?.token_hash).toBe(hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
    const events = await organizationAuditEvents(t, org.id, "invitation.created");
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(token);
  });
});
