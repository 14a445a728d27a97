import { afterAll, describe, expect, it } from "vitest";
import { startGitHub } from "../../test/support/github-server.js";
import { failureReason, redirectedTo, SocialBrowser } from "../../test/support/social.js";
import { auditEvents, PUBLIC_URL, signUpUser, startTestApp } from "../../test/support/test-app.js";

const github = await startGitHub(`${PUBLIC_URL}/api/v1/auth/oauth/github/callback`);
afterAll(() => github.close());
const t = await startTestApp({
  env: {
    ATRIUM_GITHUB_CLIENT_ID: github.clientId,
    ATRIUM_GITHUB_CLIENT_SECRET: github.clientSecret,
    ATRIUM_GITHUB_BASE_URL: github.baseUrl,
    ATRIUM_GITHUB_API_URL: github.apiUrl,
  },
});

let next = 1000;
function gitHubUser(emails: Array<{ email: string; primary: boolean; verified: boolean }>) {
  next++;
  const user = { id: next, login: `octo${next}`, name: null, emails };
  github.users.set(user.id, user);
  github.nextLogin = { id: user.id };
  return user;
}
const address = () => `gh${next}-${Date.now()}@example.com`;

function browser() {
  return new SocialBrowser(t, t.client());
}

const failureEvents = () => auditEvents(t, "user.sign_in_failed");

describe("signing in with GitHub (OAuth 2)", () => {
  it("lists GitHub among the providers", async () => {
    const reply = await t.client().get("/auth/providers");
    expect(reply.body.items).toEqual([{ id: "github", name: "GitHub", kind: "github" }]);
  });

  it("signs up with the verified primary address, keyed by the numeric user id, then signs in", async () => {
    const email = address();
    const user = gitHubUser([
      { email: `other-${email}`, primary: false, verified: true },
      { email, primary: true, verified: true },
    ]);
    const b = browser();
    expect(redirectedTo(await b.signIn("github"))).toBe("/");
    const me = (await b.client.get("/me")).body;
    expect(me).toMatchObject({ email, name: user.login, emailVerified: true });
    const identity = await t.app.deps.db
      .selectFrom("identities")
      .selectAll()
      .where("user_id", "=", me.id)
      .executeTakeFirstOrThrow();
    expect(identity).toMatchObject({ issuer: github.baseUrl, subject: String(user.id) });

    // The login and the address may change at GitHub; the id still signs the account in.
    user.login = "renamed";
    user.emails = [{ email: `new-${email}`, primary: true, verified: true }];
    github.nextLogin = { id: user.id };
    const again = browser();
    expect(redirectedTo(await again.signIn("github"))).toBe("/");
    expect((await again.client.get("/me")).body.id).toBe(me.id);
  });

  it("treats an unverified primary address as unverified, and does not link it to an account", async () => {
    const owner = await signUpUser(t);
    await t.flushMail();
    await t.client().post("/auth/verify-email", {
      token: t.mailbox.tokenFor(owner.email, "verify-email"),
    });
    gitHubUser([{ email: owner.email, primary: true, verified: false }]);
    expect(failureReason(await browser().signIn("github"))).toBe("link_required");
    expect((await owner.client.get("/me/identities")).body.items).toEqual([]);
  });

  it("ends a token error that GitHub answers with HTTP 200 on the error page, and records it", async () => {
    gitHubUser([{ email: address(), primary: true, verified: true }]);
    const b = browser();
    const started = await b.start("github");
    const url = new URL(await b.authorize(String(started.headers.location)));
    url.searchParams.set("code", "not-a-code-github-gave");
    expect(failureReason(await b.callback(url.href))).toBe("oauth_error");
    expect(b.client.cookie).toBeUndefined();
    const last = (await failureEvents()).at(-1);
    expect(last?.metadata).toMatchObject({
      reason: "oauth_error",
      provider: "github",
      providerError: "bad_verification_code",
    });
  });

  it("ends a refusal at GitHub on the error page", async () => {
    github.nextLogin = { deny: true };
    expect(failureReason(await browser().signIn("github"))).toBe("oauth_error");
    expect((await failureEvents()).at(-1)?.metadata).toMatchObject({
      providerError: "access_denied",
    });
  });
});
