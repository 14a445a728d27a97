import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcProvider, type TestOidcProvider } from "../test/support/oidc-provider.js";
import { type Atrium, axeViolations, startAtrium } from "./support.js";

let idp: TestOidcProvider;
let atrium: Atrium;
beforeAll(async () => {
  // Atrium's address is known once it listens: the provider registers it at its first request.
  let callback = "";
  idp = await startOidcProvider({ redirectUris: () => [callback], loginPage: true });
  atrium = await startAtrium({
    ATRIUM_OIDC_TESTIDP_ISSUER: idp.issuer,
    ATRIUM_OIDC_TESTIDP_CLIENT_ID: idp.clientId,
    ATRIUM_OIDC_TESTIDP_CLIENT_SECRET: idp.clientSecret,
    ATRIUM_OIDC_TESTIDP_NAME: "Test IdP",
  });
  callback = `${atrium.url}/api/v1/auth/oauth/testidp/callback`;
});
afterAll(async () => {
  await atrium?.close();
  await idp?.close();
});

describe("social sign-in in the browser", () => {
  it("goes from Atrium's sign-in button through the provider's login page to the organization's home", async () => {
    const sub = `grace-${Date.now()}`;
    idp.accounts.set(sub, {
      sub,
      email: `${sub}@example.com`,
      email_verified: true,
      name: "Grace Hopper",
    });
    const context = await atrium.context();
    const page = await context.newPage();
    await page.goto("/");
    await page.getByRole("heading", { name: "Sign in to Atrium" }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole("link", { name: "Continue with Test IdP" }).click();

    // oidc-provider's own login page.
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.locator('input[name="login"]').fill(sub);
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();

    await page.waitForURL(/\/o\/[^/]+$/);
    await page.getByRole("heading", { level: 1, name: "Grace Hopper's Organization" }).waitFor();
    await page.goto("/account/security");
    await page.getByRole("heading", { name: "Linked accounts" }).waitFor();
    await page.getByRole("listitem").filter({ hasText: "Test IdP" }).waitFor();
    await page.getByRole("button", { name: "Disconnect" }).waitFor();
    await page.getByRole("link", { name: "Connect Test IdP" }).waitFor();
    // No password to change: the page offers to set one through an emailed link instead.
    expect(await page.getByLabel("Current password").count()).toBe(0);
    await page.getByRole("button", { name: "Email me a link to set a password" }).click();
    await page.getByText("Check your email for the link to set a password.").waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });
});
