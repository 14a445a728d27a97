import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNED_IN_PAGES, SIGNED_OUT_PAGES, signedInPath } from "./pages.js";
import {
  type Atrium,
  axeViolations,
  PHONE,
  person,
  signIn,
  signUp,
  startAtrium,
} from "./support.js";

let atrium: Atrium;
beforeAll(async () => {
  atrium = await startAtrium();
});
afterAll(async () => {
  await atrium?.close();
});

describe("signing up and in", () => {
  it("signs up to the personal organization's home", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const ada = person("Ada Lovelace");
    await page.goto("/");
    await page.getByRole("link", { name: "Sign up" }).click();
    await page.getByRole("heading", { name: "Create your account" }).waitFor();
    await page.getByLabel("Name").fill(ada.name);
    await page.getByLabel("Email").fill(ada.email);
    await page.getByLabel("Password").fill(ada.password);
    await page.getByRole("button", { name: "Sign up" }).click();

    await page.waitForURL(/\/o\/[^/]+$/);
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe("Ada Lovelace's Organization");
    const switcher = page.getByRole("button", { name: /Ada Lovelace's Organization/ });
    expect(await switcher.count()).toBe(1);
    const accountMenu = page.getByRole("button", { name: /Ada Lovelace/ }).last();
    await accountMenu.click();
    expect(await page.getByRole("menuitem", { name: "Account settings" }).count()).toBe(1);
    expect(await page.getByRole("menuitem", { name: "Sign out" }).count()).toBe(1);
    // Unverified: the banner offers a new link.
    await page.keyboard.press("Escape");
    expect(await page.getByRole("button", { name: "Resend link" }).count()).toBe(1);
    await context.close();
  });

  it("refuses a wrong password, then signs in", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const grace = person("Grace Hopper");
    await signUp(page, grace);
    await context.clearCookies();

    await signIn(page, { email: grace.email, password: "not the password" });
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toBe("Invalid email or password.");
    expect(new URL(page.url()).pathname).toBe("/");

    await page.getByLabel("Password").fill(grace.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/o\/[^/]+$/);
    await context.close();
  });

  it("says how long a rate-limited person waits", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const eve = person("Eve Example");
    await signUp(page, eve);
    await context.clearCookies();
    // The form is ready first, so that only a click separates the script's last try from it.
    await page.goto("/");
    await page.getByRole("heading", { name: "Sign in to Atrium" }).waitFor();
    await page.getByLabel("Email").fill(eve.email);
    await page.getByLabel("Password").fill(eve.password);
    // A script's failures (no Origin, no cookie) count against the account like anyone's.
    // Each failure past the free ones doubles the wait; the script waits them out until the
    // next one is at least 8 s, so that a slow machine cannot outlast the delay before the click.
    for (let retryAfter = 0; retryAfter < 8; ) {
      const reply = await fetch(`${atrium.url}/api/v1/auth/sign-in`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: eve.email, password: "wrong password" }),
      });
      if (reply.status === 429) {
        retryAfter = Number(reply.headers.get("retry-after"));
        if (retryAfter < 8) await new Promise((r) => setTimeout(r, retryAfter * 1000));
      } else {
        expect(reply.status).toBe(401);
      }
    }
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toMatch(
      /^Too many attempts\. Try again in \d+ (minutes?|seconds?)\.$/,
    );
    await context.close();
  });

  it("says why a password is too weak, next to the field", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    await page.goto("/sign-up");
    await page.getByRole("heading", { name: "Create your account" }).waitFor();
    await page.getByLabel("Name").fill("Weak Walter");
    await page.getByLabel("Email").fill(person().email);
    await page.getByLabel("Password").fill("password");
    await page.getByRole("button", { name: "Sign up" }).click();
    const field = page.getByLabel("Password");
    await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
    const describedBy = (await field.getAttribute("aria-describedby")) ?? "";
    const reason = await page.evaluate(
      (ids) =>
        ids
          .split(" ")
          .map((id) => document.getElementById(id)?.textContent)
          .join(" "),
      describedBy,
    );
    expect(reason).toMatch(/common|guess|weak/i);
    expect(new URL(page.url()).pathname).toBe("/sign-up");
    await context.close();
  });

  it("signs in with the keyboard alone", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const alan = person("Alan Turing");
    await signUp(page, alan);
    await context.clearCookies();

    await page.goto("/");
    await page.getByLabel("Email").waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("type"))).toBe("email");
    await page.keyboard.type(alan.email);
    await page.keyboard.press("Tab");
    await page.keyboard.type(alan.password);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/o\/[^/]+$/);
    await context.close();
  });

  it("resets a forgotten password from the email, ending the old sessions", async () => {
    const old = await atrium.context();
    const oldPage = await old.newPage();
    const kate = person("Katherine Johnson");
    await signUp(oldPage, kate);

    const context = await atrium.context();
    const page = await context.newPage();
    await page.goto("/");
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await page.getByRole("heading", { name: "Reset your password" }).waitFor();
    await page.getByLabel("Email").fill(kate.email);
    await page.getByRole("button", { name: "Send reset link" }).click();
    await page.getByText(/we sent it a link/).waitFor();

    await page.goto(await atrium.link(kate.email, "reset-password"));
    await page.getByLabel("New password").fill("a brand new passphrase");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByRole("heading", { name: "Your password is changed" }).waitFor();

    // The other browser's session is gone: it is sent to the sign-in page.
    await oldPage.goto("/account/profile");
    await oldPage.waitForURL((url) => url.pathname === "/");
    await oldPage.getByRole("button", { name: "Sign in" }).waitFor();

    await signIn(page, { email: kate.email, password: "a brand new passphrase" });
    await page.waitForURL(/\/o\/[^/]+$/);
    await old.close();
    await context.close();
  });

  it("comes back to a deep link after signing in", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const mary = person("Mary Somerville");
    await signUp(page, mary);
    await context.clearCookies();
    await page.goto("/account/sessions");
    await page.waitForURL((url) => url.pathname === "/");
    await page.getByLabel("Email").fill(mary.email);
    await page.getByLabel("Password").fill(mary.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/account/sessions");
    await page.getByRole("grid", { name: "Sessions" }).waitFor();
    await context.close();
  });
});

describe("weight", () => {
  it("loads the sign-in page with under 150 KB of gzipped JavaScript", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const scripts: Promise<Buffer>[] = [];
    page.on("response", (response) => {
      if (response.url().endsWith(".js")) scripts.push(response.body());
    });
    await page.goto("/");
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.waitForLoadState("networkidle");
    const bodies = await Promise.all(scripts);
    const gzipped = bodies.reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0);
    console.log(
      `sign-in page: ${bodies.length} scripts, ${(gzipped / 1000).toFixed(1)} kB gzipped`,
    );
    expect(gzipped).toBeLessThan(150_000);
    await context.close();
  });

  it("loads each signed-in page, opened directly, with under 250 KB of gzipped JavaScript", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    await signUp(page, person("Ida Rhodes"));
    const home = page.url();
    const weights: Record<string, number> = {};
    for (const path of SIGNED_IN_PAGES) {
      // A fresh tab per page: what a person opening a link to it downloads.
      const tab = await context.newPage();
      const scripts: Promise<Buffer>[] = [];
      tab.on("response", (response) => {
        if (response.url().endsWith(".js")) scripts.push(response.body());
      });
      await tab.goto(signedInPath(path, home));
      await tab.getByRole("heading", { level: 1 }).waitFor();
      await tab.waitForLoadState("networkidle");
      const bodies = await Promise.all(scripts);
      weights[path] = bodies.reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0);
      await tab.close();
    }
    console.log(
      Object.entries(weights)
        .map(([path, bytes]) => `${path}: ${(bytes / 1000).toFixed(1)} kB gzipped`)
        .join("\n"),
    );
    const heavy = Object.entries(weights).filter(([, bytes]) => bytes >= 250_000);
    expect(heavy).toEqual([]);
    await context.close();
  });
});

describe("accessibility", () => {
  for (const [label, viewport] of [
    ["desktop", undefined],
    ["390 px", PHONE],
  ] as const) {
    it(`has no WCAG 2.2 AA violations on any page at ${label}`, async () => {
      const context = await atrium.context(viewport);
      const page = await context.newPage();
      const found: Record<string, unknown> = {};
      const refused: string[] = [];
      page.on("console", (message) => {
        if (message.text().includes("Content Security Policy")) refused.push(message.text());
      });
      for (const path of SIGNED_OUT_PAGES) {
        await page.goto(path);
        await page.getByRole("heading", { level: 1 }).waitFor();
        const violations = await axeViolations(page);
        if (violations.length) found[path] = violations;
      }
      await signUp(page, person("Ida Rhodes"));
      const home = page.url();
      for (const path of SIGNED_IN_PAGES) {
        await page.goto(signedInPath(path, home));
        await page.getByRole("heading", { level: 1 }).waitFor();
        await page.waitForLoadState("networkidle");
        const violations = await axeViolations(page);
        if (violations.length) found[path] = violations;
      }
      // Menus and dialogs, open.
      await page.goto("/account/access");
      await page.getByRole("button", { name: "Create API key" }).click();
      await page.getByRole("dialog").waitFor();
      const dialog = await axeViolations(page);
      if (dialog.length) found["create API key dialog"] = dialog;
      await page.keyboard.press("Escape");
      await page
        .getByRole("button", { name: /Ida Rhodes/ })
        .last()
        .click();
      await page.getByRole("menu").waitFor();
      const menu = await axeViolations(page);
      if (menu.length) found["account menu"] = menu;
      expect(found).toEqual({});
      expect(refused).toEqual([]);
      await context.close();
    });
  }
});
