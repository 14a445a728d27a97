import { describe, expect, it } from "vitest";
import {
  invitationRows,
  invite,
  inviteByLink,
  newAddress,
  organizationAuditEvents,
  ownerWithOrganization,
  tokenOf,
} from "../../test/support/invitations.js";
import {
  expectError,
  type Reply,
  STRONG_PASSWORD,
  startTestApp,
  type TestApp,
} from "../../test/support/test-app.js";
import { OPERATOR_CALLER } from "../access/caller.js";
import { newToken } from "../lib/tokens.js";
import { provisionOrganization } from "../organizations/provision-organization.js";

const t = await startTestApp();
const inviteOnly = await startTestApp({ env: { ATRIUM_SIGNUP: "invite-only" } });

const DAY = 24 * 60 * 60_000;

function signUp(app: TestApp, email: string, invitationToken?: string) {
  return app.client().post("/auth/sign-up", {
    email,
    name: "Nina Newcomer",
    password: STRONG_PASSWORD,
    ...(invitationToken === undefined ? {} : { invitationToken }),
  });
}

async function usersWithEmail(app: TestApp, email: string) {
  return app.app.deps.db
    .selectFrom("users")
    .select("id")
    .where("email_canonical", "=", email.toLowerCase())
    .execute();
}

async function myOrganizations(app: TestApp, reply: Reply) {
  const client = app.client();
  client.cookie = reply.raw.cookies.find((c) => c.name === "atrium_session")?.value;
  const organizations = await client.get("/me/organizations");
  expect(organizations.status).toBe(200);
  return organizations.body.items as Array<{
    organization: { id: string; slug: string; name: string };
    role: string;
  }>;
}

describe("POST /auth/sign-up with an invitationToken", () => {
  it("with an emailed invitation: verified at once and a member in the same request", async () => {
    const owner = await ownerWithOrganization(t, { verified: true });
    const email = `Mixed.Case-${Date.now()}@Example.com`;
    await invite(owner.client, owner.org.id, [email], { delivery: "email", role: "admin" });
    await t.flushMail();
    const token = t.mailbox.tokenFor(email, "invite");

    const reply = await signUp(t, email.toLowerCase(), token);
    expect(reply.status).toBe(201);
    expect(reply.body.user).toMatchObject({ email: email.toLowerCase(), emailVerified: true });
    // The answer names the organization joined, so the console can land there.
    expect(reply.body.joined).toEqual({ organization: owner.org, role: "admin" });
    const organizations = await myOrganizations(t, reply);
    expect(organizations).toContainEqual(
      expect.objectContaining({ organization: owner.org, role: "admin" }),
    );
    expect(organizations.map((o) => o.organization.name)).toContain("Nina Newcomer's Organization");
    await t.flushMail();
    expect(t.mailbox.to(email.toLowerCase())).toEqual([]); // no verification email needed
    expect((await invitationRows(t, owner.org.id))[0]?.status).toBe("accepted");
    const accepted = await organizationAuditEvents(t, owner.org.id, "invitation.accepted");
    expect(accepted).toEqual([
      expect.objectContaining({
        actor_id: reply.body.user.id,
        metadata: { email, role: "admin" }, // the address invited, as it was typed
      }),
    ]);
    const added = await organizationAuditEvents(t, owner.org.id, "member.added");
    expect(added.filter((e) => e.subject_user_id === reply.body.user.id)).toEqual([
      expect.objectContaining({
        // the account's own address and name, which the log shows in words
        metadata: {
          email: email.toLowerCase(),
          name: "Nina Newcomer",
          role: "admin",
          via: "invitation",
        },
      }),
    ]);
  });

  it("with a shared link: a member, but the email still needs verifying", async () => {
    const owner = await ownerWithOrganization(t);
    const email = newAddress();
    const invitation = await inviteByLink(owner.client, owner.org.id, email);

    const reply = await signUp(t, email, invitation.token);
    expect(reply.status).toBe(201);
    expect(reply.body.user.emailVerified).toBe(false);
    const organizations = await myOrganizations(t, reply);
    expect(organizations).toContainEqual(
      expect.objectContaining({ organization: owner.org, role: "member" }),
    );
    await t.flushMail();
    expect(t.mailbox.tokenFor(email, "verify-email")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses another email with invitation_email_mismatch and creates nothing", async () => {
    const owner = await ownerWithOrganization(t);
    const invitation = await inviteByLink(owner.client, owner.org.id, newAddress());
    const other = newAddress();

    expectError(await signUp(t, other, invitation.token), 403, "invitation_email_mismatch");
    expect(await usersWithEmail(t, other)).toEqual([]);
    expect((await invitationRows(t, owner.org.id))[0]?.status).toBe("pending");
  });

  it("answers 404 for a dead token and creates nothing", async () => {
    const owner = await ownerWithOrganization(t);
    const path = `/organizations/${owner.org.id}/invitations`;
    const revokedEmail = newAddress();
    const revoked = await inviteByLink(owner.client, owner.org.id, revokedEmail);
    await owner.client.delete(`${path}/${revoked.id}`);
    const replacedEmail = newAddress();
    const replaced = await inviteByLink(owner.client, owner.org.id, replacedEmail);
    await owner.client.post(`${path}/${replaced.id}/resend`);

    const cases: Array<[string, string, string]> = [
      ["garbage", newAddress(), "garbage"],
      ["unknown", newAddress(), newToken()],
      ["revoked", revokedEmail, revoked.token],
      ["replaced", replacedEmail, replaced.token],
    ];
    for (const [kind, email, token] of cases) {
      expectError(await signUp(t, email, token), 404, "not_found", kind);
      expect(await usersWithEmail(t, email), kind).toEqual([]);
    }
  });

  it("answers 404 for a used token and the account that used it stays the only one", async () => {
    const owner = await ownerWithOrganization(t);
    const email = newAddress();
    const invitation = await inviteByLink(owner.client, owner.org.id, email);
    expect((await signUp(t, email, invitation.token)).status).toBe(201);
    const second = newAddress();
    expectError(await signUp(t, second, invitation.token), 404, "not_found");
    expect(await usersWithEmail(t, second)).toEqual([]);
  });

  it("answers 410 for an expired token and creates nothing", async () => {
    const owner = await ownerWithOrganization(t);
    const email = newAddress();
    const invitation = await inviteByLink(owner.client, owner.org.id, email);
    t.clock.advance(7 * DAY + 60_000);
    expectError(await signUp(t, email, invitation.token), 410, "invitation_expired");
    expect(await usersWithEmail(t, email)).toEqual([]);
  });

  it("refuses with domain_not_allowed when the organization narrowed its domains, creating nothing", async () => {
    const owner = await ownerWithOrganization(t);
    const email = newAddress();
    const invitation = await inviteByLink(owner.client, owner.org.id, email);
    await owner.client.patch(`/organizations/${owner.org.id}`, {
      allowedEmailDomains: ["acme.com"],
    });
    expectError(await signUp(t, email, invitation.token), 422, "domain_not_allowed");
    expect(await usersWithEmail(t, email)).toEqual([]);
  });
});

describe("sign-up when ATRIUM_SIGNUP is invite-only", () => {
  it("refuses a sign-up without an invitation with signup_disabled", async () => {
    const email = "walk-in@example.com";
    expectError(await signUp(inviteOnly, email), 403, "signup_disabled");
    expect(await usersWithEmail(inviteOnly, email)).toEqual([]);
  });

  it("creates the provisioned owner with a valid invitation, and no personal organization", async () => {
    const email = "founder@initech.example";
    const provisioned = await provisionOrganization(inviteOnly.app.deps, OPERATOR_CALLER, {
      name: "Initech",
      ownerEmail: email,
    });
    const reply = await signUp(inviteOnly, email, tokenOf(provisioned.invitationUrl));
    expect(reply.status).toBe(201);
    expect(reply.body.user.emailVerified).toBe(true);

    const organizations = await myOrganizations(inviteOnly, reply);
    expect(organizations).toEqual([
      expect.objectContaining({
        organization: expect.objectContaining({ id: provisioned.organization.id, name: "Initech" }),
        role: "owner",
      }),
    ]);
    const all = await inviteOnly.app.deps.db.selectFrom("organizations").select("id").execute();
    expect(all).toEqual([{ id: provisioned.organization.id }]);
  });

  it("lets a member invited by the owner sign up, still without a personal organization", async () => {
    const ownerEmail = "boss@umbrella.example";
    const provisioned = await provisionOrganization(inviteOnly.app.deps, OPERATOR_CALLER, {
      name: "Umbrella",
      ownerEmail,
    });
    const ownerClient = inviteOnly.client();
    const ownerReply = await ownerClient.post("/auth/sign-up", {
      email: ownerEmail,
      name: "Bea Boss",
      password: STRONG_PASSWORD,
      invitationToken: tokenOf(provisioned.invitationUrl),
    });
    expect(ownerReply.status).toBe(201);

    const email = "staff@umbrella.example";
    const invitation = await inviteByLink(ownerClient, provisioned.organization.id, email);
    expectError(await signUp(inviteOnly, email, newToken()), 404, "not_found");
    const reply = await signUp(inviteOnly, email, invitation.token);
    expect(reply.status).toBe(201);
    const organizations = await myOrganizations(inviteOnly, reply);
    expect(organizations.map((o) => [o.organization.id, o.role])).toEqual([
      [provisioned.organization.id, "member"],
    ]);
  });
});
