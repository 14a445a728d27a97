import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

async function signedOut(page: Page, path: string) {
  await page.goto(path);
  await page.waitForURL((url) => url.pathname === "/");
  await page.getByRole("button", { name: "Sign in" }).waitFor();
}

/** Asks for an email change from the Profile tab, and waits for the pending change to show. */
async function askForEmailChange(page: Page, newEmail: string) {
  await page.goto("/account/profile");
  await page.getByLabel("New email").fill(newEmail);
  await page.getByRole("button", { name: "Change email" }).click();
  await page.getByText(`We sent a link to ${newEmail}.`).waitFor();
}

describe("account settings", () => {
  it("verifies the email address from the captured email", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const ada = person();
    await signUp(page, ada);
    await page.getByRole("button", { name: "Resend link" }).waitFor();

    await page.goto(await atrium.link(ada.email, "verify-email"));
    await page.getByRole("heading", { name: "Your email address is verified" }).waitFor();
    await page.getByRole("link", { name: "Continue to Atrium" }).click();
    await page.waitForURL(/\/o\/[^/]+$/);
    await page.getByRole("heading", { level: 1 }).waitFor();
    expect(await page.getByRole("button", { name: "Resend link" }).count()).toBe(0);
    await context.close();
  });

  it("changes the email address once the new one's link is opened", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const ada = person();
    await signUp(page, ada);
    const newEmail = `new-${ada.email}`;

    await askForEmailChange(page, newEmail);

    await page.goto(await atrium.link(newEmail, "verify-email"));
    await page.getByRole("heading", { name: "Your email address is verified" }).waitFor();
    await page.goto("/account/profile");
    await page.getByText(`Your address is ${newEmail} (verified).`).waitFor();
    await context.close();
  });

  it("shows a pending email change after a reload, and cancels it", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const ada = person();
    await signUp(page, ada);
    const newEmail = `withdrawn-${ada.email}`;

    await askForEmailChange(page, newEmail);
    await page.reload();
    await page.getByText(`We sent a link to ${newEmail}.`).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole("button", { name: "Cancel change" }).click();
    await page.getByText("Email change cancelled.").waitFor();
    await page.reload();
    await page.getByRole("button", { name: "Change email" }).waitFor();
    expect(await page.getByText(`We sent a link to ${newEmail}.`).count()).toBe(0);

    // The link sent to the new address no longer works.
    await page.goto(await atrium.link(newEmail, "verify-email"));
    await page.getByRole("heading", { name: "This link no longer works" }).waitFor();
    await page.goto("/account/profile");
    await page.getByText(`Your address is ${ada.email} (not verified yet).`).waitFor();
    await context.close();
  });

  it("changes the password, signing out the other devices by default", async () => {
    const here = await atrium.context();
    const page = await here.newPage();
    const ada = person();
    await signUp(page, ada);
    const there = await atrium.context();
    const other = await there.newPage();
    await signIn(other, ada);
    await other.waitForURL(/\/o\/[^/]+$/);

    await page.goto("/account/security");
    await page.getByRole("link", { name: "Security" }).waitFor();
    expect(
      await page.getByRole("checkbox", { name: "Sign out of other devices" }).isChecked(),
    ).toBe(true);
    await page.getByLabel("Current password").fill(ada.password);
    await page.getByLabel("New password").fill("another long passphrase");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed. Your other devices are signed out.").waitFor();

    await signedOut(other, "/account/profile");
    // This device stays signed in.
    await page.goto("/account/sessions");
    await page.getByRole("grid", { name: "Sessions" }).waitFor();
    await here.close();
    await there.close();
  });

  it("creates an API key whose dialog survives Escape and outside clicks, and the key works", async () => {
    const context = await atrium.context();
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: atrium.url });
    const page = await context.newPage();
    const ada = person();
    await signUp(page, ada);

    await page.goto("/account/access");
    await page.getByRole("button", { name: "Create API key" }).click();
    await page.getByLabel("Name").fill("Deploy script");
    await page.getByRole("button", { name: "Create key" }).click();

    const dialog = page.getByRole("dialog", { name: "Your new API key" });
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await page.mouse.click(5, 5);
    expect(await dialog.isVisible()).toBe(true);

    await dialog.getByRole("button", { name: "Copy" }).click();
    await dialog.getByText("Copied to the clipboard.").waitFor();
    const secret = await page.evaluate(() => navigator.clipboard.readText());
    expect(secret).toMatch(/^atr_/);
    await dialog.getByRole("button", { name: "Done" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("row", { name: /Deploy script/ }).waitFor();

    const me = await fetch(`${atrium.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(me.status).toBe(200);
    expect((await me.json()).email).toBe(ada.email);
    await context.close();
  });

  it("lists the sessions, this device first, and revokes another, which is signed out", async () => {
    const here = await atrium.context();
    const page = await here.newPage();
    const ada = person();
    await signUp(page, ada);
    const there = await atrium.context();
    const other = await there.newPage();
    await signIn(other, ada);
    await other.waitForURL(/\/o\/[^/]+$/);

    await page.goto("/account/sessions");
    const rows = page.getByRole("grid", { name: "Sessions" }).getByRole("row");
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.nth(1).textContent()).toContain("This device");
    expect(
      await rows
        .nth(1)
        .getByRole("button", { name: /Revoke/ })
        .count(),
    ).toBe(0);
    await rows
      .nth(2)
      .getByRole("button", { name: /Revoke/ })
      .click();
    await expect.poll(() => rows.count()).toBe(2);

    await signedOut(other, "/account/profile");
    await here.close();
    await there.close();
  });

  it("signs out all other sessions after a confirmation, and revokes an API key", async () => {
    const here = await atrium.context();
    const page = await here.newPage();
    const ada = person();
    await signUp(page, ada);
    const there = await atrium.context();
    const other = await there.newPage();
    await signIn(other, ada);
    await other.waitForURL(/\/o\/[^/]+$/);

    await page.goto("/account/sessions");
    const rows = page.getByRole("grid", { name: "Sessions" }).getByRole("row");
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByRole("button", { name: "Sign out all other sessions" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Sign out all other sessions?" });
    await confirm.getByRole("button", { name: "Sign out all other sessions" }).click();
    await expect.poll(() => rows.count()).toBe(2);
    await signedOut(other, "/account/profile");

    const created = await page.request.post("/api/v1/me/api-keys", {
      data: { name: "Old script" },
      headers: { origin: atrium.url },
    });
    expect(created.status()).toBe(201);
    await page.goto("/account/access");
    await page.getByRole("button", { name: "Revoke Old script" }).click();
    const ask = page.getByRole("alertdialog", { name: "Revoke API key?" });
    await ask.getByRole("button", { name: "Revoke" }).click();
    await page.getByText("No API keys yet.", { exact: false }).waitFor();
    await here.close();
    await there.close();
  });

  it("pages through the activity with Load more", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    await signUp(page, person());
    // 55 renames: more events than one page of 50 holds.
    for (let i = 0; i < 55; i++) {
      const renamed = await page.request.patch("/api/v1/me", {
        data: { name: `Ada ${i}` },
        headers: { origin: atrium.url },
      });
      expect(renamed.status()).toBe(200);
    }
    await page.goto("/account/activity");
    const rows = page.getByRole("grid", { name: "Activity" }).getByRole("row");
    // A header row and the first page.
    await expect.poll(() => rows.count()).toBe(51);
    expect(await rows.nth(1).textContent()).toContain("User updated");
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(() => rows.count()).toBeGreaterThan(56);
    expect(await page.getByRole("button", { name: "Load more" }).count()).toBe(0);
    // The second page reaches back to signing up.
    await page.getByRole("rowheader", { name: "User signed up" }).waitFor();
    await context.close();
  });

  it("shows a failed load with Try again, which loads the list", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    await signUp(page, person());
    let failed = 0;
    await page.route("**/api/v1/me/sessions?*", async (route) => {
      if (failed++ > 0) return route.continue();
      await route.fulfill({
        status: 503,
        json: { error: { code: "unavailable", message: "Atrium is busy; try again shortly." } },
      });
    });
    await page.goto("/account/sessions");
    await page.getByRole("alert").getByText("Atrium is busy; try again shortly.").waitFor();
    await page.getByRole("button", { name: "Try again" }).click();
    const rows = page.getByRole("grid", { name: "Sessions" }).getByRole("row");
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(1).textContent()).toContain("This device");
    expect(failed).toBe(2);
    await context.close();
  });

  it("deletes the account after a typed confirmation", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const ada = person();
    await signUp(page, ada);
    await page.goto("/account/profile");
    await page.getByRole("button", { name: "Delete account" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Delete your account?" });
    const confirm = dialog.getByRole("button", { name: "Delete account" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${ada.email} to confirm`).fill(ada.email);
    await confirm.click();
    await page.waitForURL((url) => url.pathname === "/");

    await signIn(page, ada);
    await page.getByText("Invalid email or password.").waitFor();
    await context.close();
  });
});

/** The element lies wholly within a viewport this wide: nothing to scroll sideways for. */
async function onScreen(locator: ReturnType<Page["getByRole"]>, width = PHONE.width) {
  const box = await locator.boundingBox();
  return box !== null && box.x >= 0 && box.x + box.width <= width;
}

describe("at phone width", () => {
  it("shows each session as a card, named by the server, with Revoke on screen", async () => {
    const here = await atrium.context(PHONE);
    const page = await here.newPage();
    const ada = person();
    await signUp(page, ada);
    const there = await atrium.context();
    const other = await there.newPage();
    await signIn(other, ada);
    await other.waitForURL(/\/o\/[^/]+$/);

    await page.goto("/account/sessions");
    const cards = page.getByRole("list", { name: "Sessions" }).getByRole("listitem");
    await expect.poll(() => cards.count()).toBe(2);
    expect(await page.getByRole("grid", { name: "Sessions" }).count()).toBe(0);
    expect(await cards.nth(0).textContent()).toMatch(/^Chrome \d+ on Linux This device/);
    expect(
      await cards
        .nth(0)
        .getByRole("button", { name: /Revoke/ })
        .count(),
    ).toBe(0);
    const revoke = cards.nth(1).getByRole("button", { name: /^Revoke Chrome \d+ on Linux$/ });
    expect(await onScreen(revoke)).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    expect(await axeViolations(page)).toEqual([]);
    await revoke.click();
    await expect.poll(() => cards.count()).toBe(1);
    await signedOut(other, "/account/profile");
    await here.close();
    await there.close();
  });

  it("shows each API key as a card with Revoke on screen", async () => {
    const context = await atrium.context(PHONE);
    const page = await context.newPage();
    await signUp(page, person());
    const created = await page.request.post("/api/v1/me/api-keys", {
      data: { name: "Nightly backup" },
      headers: { origin: atrium.url },
    });
    expect(created.status()).toBe(201);

    await page.goto("/account/access");
    const card = page.getByRole("list", { name: "API keys" }).getByRole("listitem");
    await card.waitFor();
    expect(await card.textContent()).toContain("Nightly backup");
    const revoke = card.getByRole("button", { name: "Revoke Nightly backup" });
    expect(await onScreen(revoke)).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await revoke.click();
    await page
      .getByRole("alertdialog", { name: "Revoke API key?" })
      .getByRole("button", { name: "Revoke" })
      .click();
    await page.getByText("No API keys yet.", { exact: false }).waitFor();
    await context.close();
  });
});

describe("on wider screens", () => {
  for (const viewport of [
    { width: 1024, height: 768 },
    { width: 1280, height: 800 },
  ]) {
    it(`keeps the sessions' and API keys' Revoke on screen at ${viewport.width} px`, async () => {
      const context = await atrium.context(viewport);
      const page = await context.newPage();
      const ada = person();
      await signUp(page, ada);
      const there = await atrium.context();
      const other = await there.newPage();
      await signIn(other, ada);
      await other.waitForURL(/\/o\/[^/]+$/);
      const created = await page.request.post("/api/v1/me/api-keys", {
        data: { name: "Nightly backup of the billing database" },
        headers: { origin: atrium.url },
      });
      // Used once, so that every column has a date in it.
      const { secret } = await created.json();
      await fetch(`${atrium.url}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });

      await page.goto("/account/sessions");
      const sessions = page.getByRole("grid", { name: "Sessions" }).getByRole("row");
      await expect.poll(() => sessions.count()).toBe(3);
      expect(await onScreen(sessions.nth(2).getByRole("button"), viewport.width)).toBe(true);
      await page.goto("/account/access");
      // A table at 1280 px; cards at 1024 px, where its seven columns do not fit.
      const revoke = page.getByRole("button", { name: /^Revoke Nightly backup/ });
      await revoke.waitFor();
      expect(await onScreen(revoke, viewport.width)).toBe(true);
      await context.close();
      await there.close();
    });
  }
});

describe("a session that is no longer fresh", () => {
  let strict: Atrium;
  beforeAll(async () => {
    strict = await startAtrium({ ATRIUM_SESSION_FRESH: "2s" });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it("asks for the password and retries the email change by itself", async () => {
    const context = await strict.context();
    const page = await context.newPage();
    const ada = person();
    await signUp(page, ada);
    const newEmail = `fresh-${ada.email}`;
    await page.goto("/account/profile");
    await page.getByLabel("New email").fill(newEmail);
    await page.waitForTimeout(2500);
    await page.getByRole("button", { name: "Change email" }).click();

    const dialog = page.getByRole("dialog", { name: "Confirm your password" });
    await dialog.getByLabel("Password").fill(ada.password);
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await page.getByText(`We sent a link to ${newEmail}.`).waitFor();
    await strict.link(newEmail, "verify-email");
    await context.close();
  });
});
