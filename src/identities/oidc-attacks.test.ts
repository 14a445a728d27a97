import { afterAll, describe, expect, it } from "vitest";
import { startOidcProvider } from "../../test/support/oidc-provider.js";
import { failureReason, redirectedTo, SocialBrowser } from "../../test/support/social.js";
import { auditEvents, PUBLIC_URL, startTestApp } from "../../test/support/test-app.js";

const idp = await startOidcProvider({
  redirectUris: [`${PUBLIC_URL}/api/v1/auth/oauth/idp/callback`],
});
// ID tokens valid for one minute, for the expiry test.
const brief = await startOidcProvider({
  redirectUris: [`${PUBLIC_URL}/api/v1/auth/oauth/brief/callback`],
  idTokenTtl: 60,
});
afterAll(async () => {
  await idp.close();
  await brief.close();
});
const t = await startTestApp({
  env: {
    ATRIUM_OIDC_IDP_ISSUER: idp.issuer,
    ATRIUM_OIDC_IDP_CLIENT_ID: idp.clientId,
    ATRIUM_OIDC_IDP_CLIENT_SECRET: idp.clientSecret,
    ATRIUM_OIDC_BRIEF_ISSUER: brief.issuer,
    ATRIUM_OIDC_BRIEF_CLIENT_ID: brief.clientId,
    ATRIUM_OIDC_BRIEF_CLIENT_SECRET: brief.clientSecret,
  },
});

let people = 0;
function person(provider = idp) {
  people++;
  const account = {
    sub: `attack-${people}-${Date.now()}`,
    email: `attack${people}-${Date.now()}@example.com`,
    email_verified: true,
    name: `Person ${people}`,
  };
  provider.accounts.set(account.sub, account);
  provider.nextLogin = { sub: account.sub };
  return account;
}

function browser() {
  return new SocialBrowser(t, t.client());
}

/** Starts a flow and goes through the provider: the callback URL the browser is sent to. */
async function callbackUrlFor(b: SocialBrowser, provider = "idp", edit?: (url: URL) => void) {
  const started = await b.start(provider);
  const authorization = new URL(String(started.headers.location));
  edit?.(authorization);
  return b.authorize(authorization.href);
}

async function failures(reason: string) {
  const rows = await auditEvents(t, "user.sign_in_failed");
  return rows.filter((row) => (row.metadata as { detail?: string }).detail === reason);
}

async function countUsers() {
  const row = await t.app.deps.db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe("the callback refuses what it did not start", () => {
  it("refuses a tampered state, and signs nobody in", async () => {
    person();
    const b = browser();
    const url = new URL(await callbackUrlFor(b));
    url.searchParams.set("state", `${url.searchParams.get("state")}x`);
    const before = await countUsers();
    expect(failureReason(await b.callback(url.href))).toBe("invalid_state");
    expect(b.client.cookie).toBeUndefined();
    expect(await countUsers()).toBe(before);
    const recorded = await failures("invalid_state");
    expect(recorded.at(-1)?.metadata).toMatchObject({ reason: "oauth_error", provider: "idp" });
  });

  it("refuses a replayed callback: the flow record is used once", async () => {
    person();
    const b = browser();
    const url = await callbackUrlFor(b);
    expect(redirectedTo(await b.callback(url))).toBe("/");
    const replay = browser();
    replay.flowCookie = b.flowCookie;
    expect(failureReason(await replay.callback(url))).toBe("invalid_state");
    expect(replay.client.cookie).toBeUndefined();
  });

  it("refuses a callback in another browser than the one that started the flow", async () => {
    person();
    const victim = browser();
    const url = await callbackUrlFor(victim);
    // The attacker holds a flow cookie of its own, valid for a flow it started itself.
    const attacker = browser();
    await attacker.start("idp");
    expect(attacker.flowCookie).toBeDefined();
    expect(failureReason(await attacker.callback(url))).toBe("invalid_state");
    // The flow was not burnt by the attempt: its own browser still completes it.
    expect(redirectedTo(await victim.callback(url))).toBe("/");
  });

  it("refuses a replayed code: the provider's token endpoint answers with an error", async () => {
    const someone = person();
    const first = browser();
    const used = new URL(await callbackUrlFor(first));
    expect(redirectedTo(await first.callback(used.href))).toBe("/");

    idp.nextLogin = { sub: someone.sub };
    const second = browser();
    const fresh = new URL(await callbackUrlFor(second));
    fresh.searchParams.set("code", String(used.searchParams.get("code")));
    expect(failureReason(await second.callback(fresh.href))).toBe("oauth_error");
    const recorded = await failures("oauth_error");
    expect(recorded.at(-1)?.metadata).toMatchObject({
      reason: "oauth_error",
      providerError: "invalid_grant",
    });
  });

  it("ends on the error page when the person refuses at the provider", async () => {
    const someone = person();
    idp.nextLogin = { sub: someone.sub, deny: true };
    const b = browser();
    expect(failureReason(await b.signIn("idp"))).toBe("oauth_error");
    const recorded = await failures("oauth_error");
    expect(recorded.at(-1)?.metadata).toMatchObject({ providerError: "access_denied" });
  });

  it("refuses an ID token with another nonce than the flow's", async () => {
    person();
    const b = browser();
    const url = await callbackUrlFor(b, "idp", (authorization) =>
      authorization.searchParams.set("nonce", "an-attackers-nonce"),
    );
    expect(failureReason(await b.callback(url))).toBe("invalid_response");
    expect(b.client.cookie).toBeUndefined();
  });

  it("refuses an ID token without a nonce", async () => {
    person();
    const b = browser();
    const url = await callbackUrlFor(b, "idp", (authorization) =>
      authorization.searchParams.delete("nonce"),
    );
    expect(failureReason(await b.callback(url))).toBe("invalid_response");
  });

  it("refuses an answer whose iss (RFC 9207) is not the provider's", async () => {
    person();
    const b = browser();
    const url = new URL(await callbackUrlFor(b));
    expect(url.searchParams.get("iss")).toBe(idp.issuer);
    url.searchParams.set("iss", "https://evil.example");
    expect(failureReason(await b.callback(url.href))).toBe("invalid_response");
    expect(b.client.cookie).toBeUndefined();
  });
});

describe("the return path", () => {
  it.each([
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
  ])("sends %s back to / after signing in", async (returnTo) => {
    person();
    const b = browser();
    expect(redirectedTo(await b.signIn("idp", { returnTo }))).toBe("/");
    expect((await b.client.get("/me")).status).toBe(200);
  });

  it("takes the return path from the flow record, never from the callback's query", async () => {
    person();
    const b = browser();
    const started = await b.start("idp", { returnTo: "/account" });
    const url = new URL(await b.authorize(String(started.headers.location)));
    url.searchParams.set("returnTo", "https://evil.example/");
    expect(redirectedTo(await b.callback(url.href))).toBe("/account");
  });
});

describe("token lifetimes", () => {
  it("refuses an expired ID token (judged by the app's clock)", async () => {
    // The same provider's token is accepted while it is valid.
    person(brief);
    expect(redirectedTo(await browser().signIn("brief"))).toBe("/");
    person(brief);
    const b = browser();
    const url = await callbackUrlFor(b, "brief");
    // Within the flow's 10 minutes, past the token's minute and the 30 s tolerance.
    t.clock.advance(5 * 60_000);
    expect(failureReason(await b.callback(url))).toBe("invalid_response");
    expect(b.client.cookie).toBeUndefined();
  });

  it("refuses a flow after its 10 minutes", async () => {
    person();
    const b = browser();
    const url = await callbackUrlFor(b);
    t.clock.advance(11 * 60_000);
    expect(failureReason(await b.callback(url))).toBe("invalid_state");
  });
});
