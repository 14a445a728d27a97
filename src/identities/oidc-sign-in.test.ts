import { afterAll, describe, expect, it } from "vitest";
import { startOidcProvider } from "../../test/support/oidc-provider.js";
import { failureReason, redirectedTo, SocialBrowser } from "../../test/support/social.js";
import { auditEvents, PUBLIC_URL, signUpUser, startTestApp } from "../../test/support/test-app.js";

const idp = await startOidcProvider({
  redirectUris: [`${PUBLIC_URL}/api/v1/auth/oauth/idp/callback`],
});
afterAll(() => idp.close());
const t = await startTestApp({
  env: {
    ATRIUM_OIDC_IDP_ISSUER: idp.issuer,
    ATRIUM_OIDC_IDP_CLIENT_ID: idp.clientId,
    ATRIUM_OIDC_IDP_CLIENT_SECRET: idp.clientSecret,
    ATRIUM_OIDC_IDP_NAME: "Test IdP",
  },
});

let people = 0;
/** A new person at the provider, who logs in at the next interaction. */
function person(overrides: { email?: string; email_verified?: unknown; name?: string } = {}) {
  people++;
  const account = {
    sub: `sub-${people}-${Date.now()}`,
    email: `social${people}-${Date.now()}@example.com`,
    email_verified: true,
    name: `Social Person ${people}`,
    ...overrides,
  };
  idp.accounts.set(account.sub, account);
  idp.nextLogin = { sub: account.sub };
  return account;
}

async function usersWithEmail(email: string) {
  return t.app.deps.db
    .selectFrom("users")
    .select("id")
    .where("email_canonical", "=", email.toLowerCase())
    .execute();
}

function browser() {
  return new SocialBrowser(t, t.client());
}

const events = (userId: string, action: string) => auditEvents(t, action, userId);

describe("GET /auth/providers", () => {
  it("lists the configured provider with its id, name and kind", async () => {
    const reply = await t.client().get("/auth/providers");
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ items: [{ id: "idp", name: "Test IdP", kind: "oidc" }] });
  });

  it("answers 404 for a provider that is not configured", async () => {
    const reply = await t.client().get("/auth/oauth/nope/start");
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe("not_found");
  });
});

describe("signing up and in with an OpenID Connect provider", () => {
  it("starts a code flow with PKCE (S256), state and nonce, bound to the browser by a cookie", async () => {
    const b = browser();
    const started = await b.start("idp");
    const location = new URL(String(started.headers.location));
    expect(location.origin).toBe(idp.issuer);
    const params = location.searchParams;
    expect(params.get("response_type")).toBe("code");
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("state")).toBeTruthy();
    expect(params.get("nonce")).toBeTruthy();
    expect(params.get("redirect_uri")).toBe(`${PUBLIC_URL}/api/v1/auth/oauth/idp/callback`);
    const cookie = started.raw.cookies.find((c) => c.name === "atrium_oauth");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/", maxAge: 600 });
    // Nothing secret is stored as given: the state and the browser's cookie only as hashes.
    const flows = await t.app.deps.db.selectFrom("oauth_flows").selectAll().execute();
    const stored = JSON.stringify(flows);
    expect(stored).not.toContain(params.get("state"));
    expect(stored).not.toContain(cookie?.value);
  });

  it("creates an account with the provider's verified email and no password, then signs it in again", async () => {
    const someone = person();
    const b = browser();
    const reply = await b.signIn("idp", { returnTo: "/welcome" });
    expect(redirectedTo(reply)).toBe("/welcome");
    const me = await b.client.get("/me");
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      email: someone.email,
      name: someone.name,
      emailVerified: true,
      // No password: the console offers to set one through the reset flow.
      hasPassword: false,
    });
    const user = await t.app.deps.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", me.body.id)
      .executeTakeFirstOrThrow();
    expect(user.password_hash).toBeNull();
    // The personal organization, as for a password sign-up.
    expect((await b.client.get("/me/organizations")).body.items).toHaveLength(1);
    const identities = await b.client.get("/me/identities");
    expect(identities.body.items).toEqual([
      {
        id: expect.stringMatching(/^idn_/),
        provider: "idp",
        email: someone.email,
        linkedAt: expect.any(String),
      },
    ]);
    expect(await events(me.body.id, "user.signed_up")).toHaveLength(1);
    expect(await events(me.body.id, "identity.linked")).toHaveLength(1);

    // Signing in again from another browser: the same account, an ordinary session.
    idp.nextLogin = { sub: someone.sub };
    const again = browser();
    expect(redirectedTo(await again.signIn("idp"))).toBe("/");
    expect((await again.client.get("/me")).body.id).toBe(me.body.id);
    const signedIn = await events(me.body.id, "user.signed_in");
    expect(signedIn.at(-1)?.metadata).toMatchObject({ method: "social", provider: "idp" });
    const sessions = await again.client.get("/me/sessions");
    expect(sessions.body.items).toHaveLength(2);
    // No password to sign in with.
    const password = await t.client().post("/auth/sign-in", {
      email: someone.email,
      password: "anything-at-all-1",
    });
    expect(password.body.error.code).toBe("invalid_credentials");
  });

  it("makes no account when the provider does not say the email is verified (a string is not a boolean)", async () => {
    // Otherwise an impostor's identity would hold an account that the address's owner later
    // claims through a verification or reset link: pre-account hijacking.
    const someone = person({ email_verified: "true" });
    const b = browser();
    expect(failureReason(await b.signIn("idp"))).toBe("email_not_verified");
    expect(b.client.cookie).toBeUndefined();
    expect(await usersWithEmail(someone.email)).toEqual([]);
  });

  it("counts the session's freshness from the provider's auth_time", async () => {
    const someone = person();
    idp.nextLogin = { sub: someone.sub, authTime: Math.floor(Date.now() / 1000) - 2 * 3600 };
    const b = browser();
    expect(redirectedTo(await b.signIn("idp"))).toBe("/");
    // Signed in, but two hours after authenticating at the provider: not fresh.
    expect((await b.client.get("/me")).status).toBe(200);
    const deleted = await b.client.delete("/me");
    expect(deleted.body.error.code).toBe("session_not_fresh");
  });

  it("refuses a disabled account's known identity", async () => {
    const someone = person();
    const b = browser();
    await b.signIn("idp");
    const { id } = (await b.client.get("/me")).body;
    await t.app.deps.db
      .updateTable("users")
      .set({ disabled_at: new Date() })
      .where("id", "=", id)
      .execute();
    idp.nextLogin = { sub: someone.sub };
    const again = browser();
    expect(failureReason(await again.signIn("idp"))).toBe("account_disabled");
    expect(again.client.cookie).toBeUndefined();
  });
});

describe("the linking rules for a new identity", () => {
  it("links to an account whose email is verified when the provider verified it too", async () => {
    const owner = await signUpUser(t);
    await t.flushMail();
    const token = t.mailbox.tokenFor(owner.email, "verify-email");
    expect((await t.client().post("/auth/verify-email", { token })).status).toBe(204);
    person({ email: owner.email.toUpperCase() });
    const b = browser();
    expect(redirectedTo(await b.signIn("idp"))).toBe("/");
    expect((await b.client.get("/me")).body.id).toBe(owner.user.id);
    const linked = await events(owner.user.id, "identity.linked");
    expect(linked[0]?.metadata).toMatchObject({ provider: "idp", how: "automatic" });
  });

  it("links nothing when the account's email is unverified, and says to sign in with the password", async () => {
    const owner = await signUpUser(t);
    person({ email: owner.email });
    const b = browser();
    expect(failureReason(await b.signIn("idp"))).toBe("link_required");
    expect(b.client.cookie).toBeUndefined();
    expect((await owner.client.get("/me/identities")).body.items).toEqual([]);
  });

  it("links nothing when the provider did not verify the email, even if the account did", async () => {
    const owner = await signUpUser(t);
    await t.flushMail();
    const token = t.mailbox.tokenFor(owner.email, "verify-email");
    await t.client().post("/auth/verify-email", { token });
    person({ email: owner.email, email_verified: false });
    const b = browser();
    expect(failureReason(await b.signIn("idp"))).toBe("link_required");
    expect((await owner.client.get("/me/identities")).body.items).toEqual([]);
  });

  it("refuses an identity without an email address", async () => {
    const account = { sub: `no-email-${Date.now()}`, name: "No Email" };
    idp.accounts.set(account.sub, account);
    idp.nextLogin = { sub: account.sub };
    expect(failureReason(await browser().signIn("idp"))).toBe("email_required");
  });
});
