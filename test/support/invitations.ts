import { expect } from "vitest";
import { type Client, signUpUser, type TestApp } from "./test-app.js";

/** Helpers for the invitation tests: every state is built through the API. */

let addressCounter = 0;

/** A fresh address nobody has used (in `example.com` unless told). */
export function newAddress(domain = "example.com"): string {
  addressCounter++;
  return `invitee${addressCounter}-${Date.now()}@${domain}`;
}

/** The token at the end of an invitation link (`PUBLIC_URL/invite/{token}`). */
export function tokenOf(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1);
}

/**
 * A new account that owns a new organization (optionally limited to some email domains, and
 * with its email verified, as inviting by email needs).
 */
export async function ownerWithOrganization(
  t: TestApp,
  options: { allowedEmailDomains?: string[]; name?: string; verified?: boolean } = {},
) {
  const owner = await signUpUser(t, { name: "Olive Owner" });
  if (options.verified) await verifyEmail(t, owner);
  const created = await owner.client.post("/organizations", { name: options.name ?? "Acme Corp" });
  expect(created.status).toBe(201);
  const { id, slug, name } = created.body as { id: string; slug: string; name: string };
  const org = { id, slug, name };
  if (options.allowedEmailDomains) {
    const patched = await owner.client.patch(`/organizations/${org.id}`, {
      allowedEmailDomains: options.allowedEmailDomains,
    });
    expect(patched.status).toBe(200);
  }
  return { ...owner, org };
}

export function invite(
  client: Client,
  org: string,
  emails: string[],
  options: { role?: string; delivery?: "email" | "link" } = {},
) {
  return client.post(`/organizations/${org}/invitations`, {
    emails,
    role: options.role ?? "member",
    delivery: options.delivery ?? "link",
  });
}

/** Invites one address by link and returns the invitation with its token. */
export async function inviteByLink(
  client: Client,
  org: string,
  email: string,
  role: "owner" | "admin" | "member" = "member",
) {
  const reply = await invite(client, org, [email], { role, delivery: "link" });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  const invitation = reply.body.invitations[0] as {
    id: string;
    email: string;
    role: string;
    expiresAt: string;
    url: string;
  };
  expect(invitation).toBeDefined();
  return { ...invitation, token: tokenOf(invitation.url) };
}

/** Verifies a signed-up account's email through the link it was sent. */
export async function verifyEmail(t: TestApp, user: { client: Client; email: string }) {
  await t.flushMail();
  const verified = await user.client.post("/auth/verify-email", {
    token: t.mailbox.tokenFor(user.email, "verify-email"),
  });
  expect(verified.status).toBe(204);
}

/** A signed-up account whose email is verified. */
export async function verifiedUser(t: TestApp, overrides: { email?: string; name?: string } = {}) {
  const user = await signUpUser(t, overrides);
  await verifyEmail(t, user);
  return user;
}

/** Joins a new verified account to the organization with this role, through a link invitation. */
export async function addMember(
  t: TestApp,
  owner: { client: Client },
  org: string,
  role: "admin" | "member",
) {
  const user = await verifiedUser(t);
  const invitation = await inviteByLink(owner.client, org, user.email, role);
  const accepted = await user.client.post(`/invitations/${invitation.token}/accept`);
  expect(accepted.status).toBe(200);
  return user;
}

export function invitationRows(t: TestApp, organizationId: string) {
  return t.app.deps.db
    .selectFrom("invitations")
    .selectAll()
    .where("organization_id", "=", organizationId)
    .orderBy("id")
    .execute();
}

export function organizationAuditEvents(t: TestApp, organizationId: string, action: string) {
  return t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("organization_id", "=", organizationId)
    .where("action", "=", action)
    .orderBy("id")
    .execute();
}
