import { afterAll, describe, expect, it } from "vitest";
import { startOidcProvider } from "../../test/support/oidc-provider.js";
import { failureReason, redirectedTo, SocialBrowser } from "../../test/support/social.js";
import {
  auditEvents,
  type Client,
  PUBLIC_URL,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";

const idp = await startOidcProvider({
  redirectUris: [`${PUBLIC_URL}/api/v1/auth/oauth/idp/callback`],
});
const other = await startOidcProvider({
  redirectUris: [`${PUBLIC_URL}/api/v1/auth/oauth/other/callback`],
});
afterAll(async () => {
  await idp.close();
  await other.close();
});
const t = await startTestApp({
  env: {
    ATRIUM_OIDC_IDP_ISSUER: idp.issuer,
    ATRIUM_OIDC_IDP_CLIENT_ID: idp.clientId,
    ATRIUM_OIDC_IDP_CLIENT_SECRET: idp.clientSecret,
    ATRIUM_OIDC_OTHER_ISSUER: other.issuer,
    ATRIUM_OIDC_OTHER_CLIENT_ID: other.clientId,
    ATRIUM_OIDC_OTHER_CLIENT_SECRET: other.clientSecret,
  },
});

const HOUR_S = 3600;
let people = 0;
function person(provider = idp, authTime?: number) {
  people++;
  const account = {
    sub: `link-${people}-${Date.now()}`,
    email: `link${people}-${Date.now()}@example.com`,
    email_verified: true,
    name: `Linker ${people}`,
  };
  provider.accounts.set(account.sub, account);
  provider.nextLogin = { sub: account.sub, ...(authTime ? { authTime } : {}) };
  return account;
}

const nowS = () => Math.floor(Date.now() / 1000);

/** A password-less account made by signing up through the provider. */
async function socialAccount(authTime?: number) {
  const someone = person(idp, authTime);
  const b = new SocialBrowser(t, t.client());
  expect(redirectedTo(await b.signIn("idp"))).toBe("/");
  const me = await b.client.get("/me");
  return { someone, b, userId: me.body.id as string };
}

const events = (userId: string, action: string) => auditEvents(t, action, userId);

async function identitiesOf(client: Client) {
  return (await client.get("/me/identities")).body.items as Array<{ id: string; provider: string }>;
}

describe("linking while signed in (intent=link)", () => {
  it("attaches the identity to the fresh session's account, whatever its email", async () => {
    const owner = await signUpUser(t);
    person();
    const b = new SocialBrowser(t, owner.client);
    const reply = await b.signIn("idp", { intent: "link", returnTo: "/account" });
    expect(redirectedTo(reply)).toBe("/account");
    const items = await identitiesOf(owner.client);
    expect(items).toHaveLength(1);
    expect(items[0]?.provider).toBe("idp");
    const linked = await events(owner.user.id, "identity.linked");
    expect(linked[0]?.metadata).toMatchObject({ provider: "idp", how: "settings" });
    // The identity now signs this account in.
    idp.nextLogin = { sub: [...idp.accounts.values()].at(-1)?.sub ?? "" };
    const elsewhere = new SocialBrowser(t, t.client());
    await elsewhere.signIn("idp");
    expect((await elsewhere.client.get("/me")).body.id).toBe(owner.user.id);
  });

  it("needs a fresh session", async () => {
    const owner = await signUpUser(t);
    t.clock.advance(2 * HOUR_S * 1000);
    try {
      person();
      const b = new SocialBrowser(t, owner.client);
      expect(failureReason(await b.start("idp", { intent: "link" }))).toBe("session_not_fresh");
      expect(await identitiesOf(owner.client)).toEqual([]);
    } finally {
      // Later tests sign in with tokens issued on the real clock.
      t.clock.advance(-2 * HOUR_S * 1000);
    }
  });

  it("needs a session at all", async () => {
    person();
    const b = new SocialBrowser(t, t.client());
    expect(failureReason(await b.start("idp", { intent: "link" }))).toBe("unauthenticated");
  });

  it("refuses an identity already linked to another account", async () => {
    const { someone, userId } = await socialAccount();
    const owner = await signUpUser(t);
    idp.nextLogin = { sub: someone.sub };
    const b = new SocialBrowser(t, owner.client);
    expect(failureReason(await b.signIn("idp", { intent: "link" }))).toBe("identity_taken");
    expect(await identitiesOf(owner.client)).toEqual([]);
    const theirs = await t.app.deps.db
      .selectFrom("identities")
      .selectAll()
      .where("user_id", "=", userId)
      .execute();
    expect(theirs).toHaveLength(1);
  });
});

describe("DELETE /me/identities/{id}", () => {
  it("refuses to unlink a password-less account's only identity", async () => {
    const { b, userId } = await socialAccount();
    const [identity] = await identitiesOf(b.client);
    const reply = await b.client.delete(`/me/identities/${identity?.id}`);
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe("conflict");
    expect(await identitiesOf(b.client)).toHaveLength(1);
    expect(await events(userId, "identity.unlinked")).toEqual([]);
  });

  it("unlinks one of two identities, and the last one once a password is set through a reset", async () => {
    const { someone, b, userId } = await socialAccount();
    person(other);
    expect(
      redirectedTo(await new SocialBrowser(t, b.client).signIn("other", { intent: "link" })),
    ).toBe("/");
    const [first, second] = await identitiesOf(b.client);
    expect((await b.client.delete(`/me/identities/${second?.id}`)).status).toBe(204);
    expect(await events(userId, "identity.unlinked")).toHaveLength(1);

    // The account says it has no password, so that the console offers to set one.
    expect((await b.client.get("/me")).body.hasPassword).toBe(false);
    // A password through the reset flow is a way in: the last identity may go then.
    await t.client().post("/auth/password-reset", { email: someone.email });
    await t.flushMail();
    const token = t.mailbox.tokenFor(someone.email, "reset-password");
    const reset = await t.client().post("/auth/password-reset/confirm", {
      token,
      password: STRONG_PASSWORD,
    });
    expect(reset.status).toBe(204);
    const signedIn = t.client();
    expect(
      (await signedIn.post("/auth/sign-in", { email: someone.email, password: STRONG_PASSWORD }))
        .status,
    ).toBe(200);
    expect((await signedIn.get("/me")).body.hasPassword).toBe(true);
    expect((await signedIn.delete(`/me/identities/${first?.id}`)).status).toBe(204);
    expect(await identitiesOf(signedIn)).toEqual([]);
  });

  it("drops identities linked while the address was unproven when the mailbox's owner resets the password", async () => {
    // Someone signs up with another person's address, and links their own provider account.
    const squatter = await signUpUser(t);
    const squattersOwn = person();
    const linking = new SocialBrowser(t, squatter.client);
    expect(redirectedTo(await linking.signIn("idp", { intent: "link" }))).toBe("/");
    expect(await identitiesOf(squatter.client)).toHaveLength(1);

    // The address's owner takes the account back through the reset link.
    await t.client().post("/auth/password-reset", { email: squatter.email });
    await t.flushMail();
    const reset = await t.client().post("/auth/password-reset/confirm", {
      token: t.mailbox.tokenFor(squatter.email, "reset-password"),
      password: STRONG_PASSWORD,
    });
    expect(reset.status).toBe(204);
    const owner = t.client();
    await owner.post("/auth/sign-in", { email: squatter.email, password: STRONG_PASSWORD });
    expect(await identitiesOf(owner)).toEqual([]);
    expect(await events(squatter.user.id, "identity.unlinked")).toEqual([
      expect.objectContaining({
        metadata: { provider: "idp", reason: "password_reset" },
      }),
    ]);

    // The squatter's provider account no longer leads into it.
    idp.nextLogin = { sub: squattersOwn.sub };
    const again = new SocialBrowser(t, t.client());
    await again.signIn("idp");
    const me = await again.client.get("/me");
    expect(me.body.id).not.toBe(squatter.user.id);
  });

  it("answers 404 for another account's identity and changes nothing", async () => {
    const { b } = await socialAccount();
    const [identity] = await identitiesOf(b.client);
    const owner = await signUpUser(t);
    const reply = await owner.client.delete(`/me/identities/${identity?.id}`);
    expect(reply.status).toBe(404);
    expect(await identitiesOf(b.client)).toHaveLength(1);
  });

  it("needs a fresh session", async () => {
    const { b } = await socialAccount(nowS() - 2 * HOUR_S);
    const [identity] = await identitiesOf(b.client);
    const reply = await b.client.delete(`/me/identities/${identity?.id}`);
    expect(reply.body.error.code).toBe("session_not_fresh");
  });
});

describe("re-authenticating a password-less account through its provider", () => {
  it("makes the session fresh again, counted from the provider's auth_time", async () => {
    const { someone, b, userId } = await socialAccount(nowS() - 2 * HOUR_S);
    const sessionBefore = b.client.cookie;
    expect((await b.client.delete("/me")).body.error.code).toBe("session_not_fresh");

    idp.nextLogin = { sub: someone.sub };
    const reply = await b.signIn("idp", { intent: "reauthenticate", returnTo: "/account" });
    expect(redirectedTo(reply)).toBe("/account");
    // A new token for the same session (every authentication issues one).
    expect(b.client.cookie).toBeDefined();
    expect(b.client.cookie).not.toBe(sessionBefore);
    const signedIn = await events(userId, "user.signed_in");
    expect(signedIn.at(-1)?.metadata).toMatchObject({ method: "reauthenticate", provider: "idp" });
    expect((await b.client.delete("/me")).status).toBe(204);
  });

  it("stays stale when the provider dates the sign-in before the request (no new sign-in there)", async () => {
    const { someone, b } = await socialAccount(nowS() - 2 * HOUR_S);
    idp.nextLogin = { sub: someone.sub, authTime: nowS() - 3 * HOUR_S };
    expect(failureReason(await b.signIn("idp", { intent: "reauthenticate" }))).toBe(
      "session_not_fresh",
    );
    expect((await b.client.delete("/me")).body.error.code).toBe("session_not_fresh");
  });

  it("asks the provider for a new, dated sign-in", async () => {
    const { b } = await socialAccount(nowS() - 2 * HOUR_S);
    const started = await b.start("idp", { intent: "reauthenticate" });
    const url = new URL(String(started.headers.location));
    expect(url.searchParams.get("prompt")).toBe("login");
    expect(url.searchParams.get("max_age")).toBe("0");
  });

  it("refuses an identity that is not the account's", async () => {
    const { b } = await socialAccount(nowS() - 2 * HOUR_S);
    person();
    // Another person at the provider (a new provider session, not the account's).
    b.provider.cookies.clear();
    expect(failureReason(await b.signIn("idp", { intent: "reauthenticate" }))).toBe(
      "identity_not_linked",
    );
    expect((await b.client.delete("/me")).body.error.code).toBe("session_not_fresh");
  });
});
