import { afterAll, describe, expect, it } from "vitest";
import { inviteByLink, newAddress, tokenOf } from "../../test/support/invitations.js";
import { startOidcProvider } from "../../test/support/oidc-provider.js";
import { failureReason, redirectedTo, SocialBrowser } from "../../test/support/social.js";
import { PUBLIC_URL, STRONG_PASSWORD, startTestApp } from "../../test/support/test-app.js";
import { OPERATOR_CALLER } from "../access/caller.js";
import { provisionOrganization } from "../organizations/provision-organization.js";

const idp = await startOidcProvider({
  redirectUris: [`${PUBLIC_URL}/api/v1/auth/oauth/idp/callback`],
});
afterAll(() => idp.close());
const t = await startTestApp({
  env: {
    ATRIUM_SIGNUP: "invite-only",
    ATRIUM_OIDC_IDP_ISSUER: idp.issuer,
    ATRIUM_OIDC_IDP_CLIENT_ID: idp.clientId,
    ATRIUM_OIDC_IDP_CLIENT_SECRET: idp.clientSecret,
  },
});

let people = 0;
function person(email: string, emailVerified: unknown = true) {
  people++;
  const account = { sub: `inv-${people}-${Date.now()}`, email, email_verified: emailVerified };
  idp.accounts.set(account.sub, account);
  idp.nextLogin = { sub: account.sub };
  return account;
}

function browser() {
  return new SocialBrowser(t, t.client());
}

async function usersWithEmail(email: string) {
  return t.app.deps.db
    .selectFrom("users")
    .selectAll()
    .where("email_canonical", "=", email.toLowerCase())
    .execute();
}

async function provisioned(email: string) {
  return provisionOrganization(t.app.deps, OPERATOR_CALLER, {
    name: `Initech ${people}`,
    ownerEmail: email,
  });
}

describe("social sign-up under ATRIUM_SIGNUP=invite-only", () => {
  it("refuses a new identity without an invitation, and creates nothing", async () => {
    const email = newAddress();
    person(email);
    expect(failureReason(await browser().signIn("idp"))).toBe("signup_disabled");
    expect(await usersWithEmail(email)).toEqual([]);
  });

  it("accepts the pending invitation to the address the provider verified", async () => {
    const email = newAddress();
    const { organization } = await provisioned(email);
    person(email);
    const b = browser();
    expect(redirectedTo(await b.signIn("idp"))).toBe(`/o/${organization.slug}`);
    const organizations = (await b.client.get("/me/organizations")).body.items;
    // The invited organization, and no personal one (invite-only turns them off).
    expect(organizations).toEqual([
      expect.objectContaining({
        organization: expect.objectContaining({ id: organization.id }),
        role: "owner",
      }),
    ]);
  });

  it("does not let an unverified address at the provider claim an invitation", async () => {
    const email = newAddress();
    await provisioned(email);
    person(email, false);
    expect(failureReason(await browser().signIn("idp"))).toBe("signup_disabled");
    expect(await usersWithEmail(email)).toEqual([]);
  });
});

describe("an invitation link followed by a social sign-up", () => {
  async function ownerWithOrganization() {
    const email = newAddress();
    const { invitationUrl, organization } = await provisioned(email);
    const owner = t.client();
    const signedUp = await owner.post("/auth/sign-up", {
      email,
      name: "Olive Owner",
      password: STRONG_PASSWORD,
      invitationToken: tokenOf(invitationUrl),
    });
    expect(signedUp.status).toBe(201);
    return { owner, organization };
  }

  it("joins the organization with the invitation's role", async () => {
    const { owner, organization } = await ownerWithOrganization();
    const email = newAddress();
    const invitation = await inviteByLink(owner, organization.id, email, "admin");
    person(email);
    const b = browser();
    const reply = await b.signIn("idp", { invitation: invitation.token, returnTo: "/home" });
    // It lands in the organization it joined, whatever the page asked to come back to.
    expect(redirectedTo(reply)).toBe(`/o/${organization.slug}`);
    const me = (await b.client.get("/me")).body;
    expect(me).toMatchObject({ email, emailVerified: true });
    const organizations = (await b.client.get("/me/organizations")).body.items;
    expect(organizations).toEqual([
      expect.objectContaining({
        organization: expect.objectContaining({ id: organization.id }),
        role: "admin",
      }),
    ]);
  });

  it("refuses an invitation sent to another address than the provider's", async () => {
    const { owner, organization } = await ownerWithOrganization();
    const invitation = await inviteByLink(owner, organization.id, newAddress(), "member");
    const email = newAddress();
    person(email);
    const reply = await browser().signIn("idp", { invitation: invitation.token });
    expect(failureReason(reply)).toBe("invitation_email_mismatch");
    expect(await usersWithEmail(email)).toEqual([]);
  });

  it("says so before leaving for the provider when the invitation link is dead", async () => {
    const reply = await browser().start("idp", { invitation: "A".repeat(43) });
    expect(failureReason(reply)).toBe("invitation_invalid");
  });
});
