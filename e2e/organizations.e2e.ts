import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Atrium, person, signUp, slugOf, startAtrium } from "./support.js";

let atrium: Atrium;
beforeAll(async () => {
  atrium = await startAtrium();
});
afterAll(async () => {
  await atrium?.close();
});

const heading = (page: Page) => page.getByRole("heading", { level: 1 }).textContent();

describe("the organization switcher", () => {
  it("lists the organizations with roles, creates one, switches, and Back works", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const ada = person("Ada Lovelace");
    await signUp(page, ada);
    const home = page.url();

    await page.getByRole("button", { name: "Ada Lovelace's Organization" }).click();
    const item = page.getByRole("menuitem", { name: /Ada Lovelace's Organization/ });
    expect(await item.textContent()).toContain("Owner");
    await page.getByRole("menuitem", { name: "Create organization" }).click();
    const dialog = page.getByRole("dialog", { name: "Create organization" });
    await dialog.getByLabel("Name").fill("Acme Research");
    // The slug follows the name as it is typed, by the server's rule…
    expect(await dialog.getByLabel("Slug").inputValue()).toBe("acme-research");
    // …until the person edits it. A slug another organization has is refused at the field.
    await dialog.getByLabel("Slug").fill(new URL(home).pathname.split("/")[2]!);
    await dialog.getByLabel("Name").fill("Acme Research Lab");
    await dialog.getByRole("button", { name: "Create organization" }).click();
    await dialog.getByText("The slug is taken.").waitFor();
    const slug = `acme-${Date.now()}`;
    await dialog.getByLabel("Slug").fill(slug);
    await dialog.getByRole("button", { name: "Create organization" }).click();
    await expect.poll(() => heading(page)).toBe("Acme Research Lab");
    const acme = page.url();
    expect(new URL(acme).pathname).toBe(`/o/${slug}`);

    await page.getByRole("button", { name: "Acme Research Lab" }).click();
    await page.getByRole("menuitem", { name: /Ada Lovelace's Organization/ }).click();
    await expect.poll(() => heading(page)).toBe("Ada Lovelace's Organization");
    expect(page.url()).toBe(home);
    await page.goBack();
    await expect.poll(() => heading(page)).toBe("Acme Research Lab");
    expect(page.url()).toBe(acme);

    // Account pages keep the organization last opened in the sidebar.
    await page.goto("/account/profile");
    await page.getByRole("button", { name: "Acme Research Lab" }).waitFor();
    await context.close();
  });

  it("offers a search box once there are more than a few organizations", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    await signUp(page, person("Grace Hopper"));
    for (const name of ["Alpha", "Bravo", "Charlie", "Delta", "Zeta Labs"]) {
      const created = await page.request.post("/api/v1/organizations", {
        data: { name },
        headers: { origin: atrium.url },
      });
      expect(created.status()).toBe(201);
    }
    await page.reload();
    await page.getByRole("button", { name: "Grace Hopper's Organization" }).click();
    await page.getByRole("searchbox", { name: "Search organizations" }).fill("zeta");
    await expect
      .poll(async () =>
        (await page.getByRole("menuitem").allTextContents()).filter((text) =>
          text.endsWith("Owner"),
        ),
      )
      .toEqual(["Zeta LabsOwner"]);
    await page.keyboard.press("Enter");
    await expect.poll(() => heading(page)).toBe("Zeta Labs");
    await context.close();
  });
});

describe("invitation links", () => {
  /** The owner (signed in on `page` as `ownerEmail`) invites `email` by email. */
  async function invite(page: Page, ownerEmail: string, email: string): Promise<string> {
    const slug = slugOf(page);
    // Email invitations need an inviter whose own address is verified.
    const verification = new URL(await atrium.link(ownerEmail, "verify-email"));
    const verified = await page.request.post("/api/v1/auth/verify-email", {
      data: { token: verification.searchParams.get("token") },
      headers: { origin: atrium.url },
    });
    expect(verified.status()).toBe(204);
    const sent = await page.request.post(`/api/v1/organizations/${slug}/invitations`, {
      data: { emails: [email], role: "member", delivery: "email" },
      headers: { origin: atrium.url },
    });
    expect(sent.status()).toBe(201);
    return atrium.link(email, "invite");
  }

  it("signs a new person up into the organization", async () => {
    const owner = await (await atrium.context()).newPage();
    const ada = person("Ada Lovelace");
    await signUp(owner, ada);
    const bob = person("Bob Kahn");
    const link = await invite(owner, ada.email, bob.email);

    const page = await (await atrium.context()).newPage();
    await page.goto(link);
    await page.getByRole("heading", { name: "Join Ada Lovelace's Organization" }).waitFor();
    // The invitation page holds the sign-up form, the invited address filled in and fixed.
    await page.getByRole("tab", { name: "Create account" }).click();
    expect(await page.getByLabel("Email").inputValue()).toBe(bob.email);
    await page.getByLabel("Name").fill(bob.name);
    await page.getByLabel("Password").fill(bob.password);
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.waitForURL(/\/o\/[^/]+$/);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await page
      .getByRole("button", { name: /Organization/ })
      .first()
      .click();
    const item = page.getByRole("menuitem", { name: /Ada Lovelace's Organization/ });
    expect(await item.textContent()).toContain("Member");
  });

  it("lets a signed-in person accept", async () => {
    const owner = await (await atrium.context()).newPage();
    const ada = person("Ada Lovelace");
    await signUp(owner, ada);
    const carol = person("Carol Shaw");
    const page = await (await atrium.context()).newPage();
    await signUp(page, carol);
    await page.goto(await atrium.link(carol.email, "verify-email"));
    await page.getByRole("heading", { name: "Your email address is verified" }).waitFor();

    await page.goto(await invite(owner, ada.email, carol.email));
    await page.getByRole("button", { name: "Accept" }).click();
    await page.waitForURL(owner.url());
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe("Ada Lovelace's Organization");
  });

  it("lets a signed-in person decline, after which the link no longer works", async () => {
    const owner = await (await atrium.context()).newPage();
    const ada = person("Ada Lovelace");
    await signUp(owner, ada);
    const dan = person("Dan Bricklin");
    const page = await (await atrium.context()).newPage();
    await signUp(page, dan);
    await page.goto(await atrium.link(dan.email, "verify-email"));
    await page.getByRole("heading", { name: "Your email address is verified" }).waitFor();

    const link = await invite(owner, ada.email, dan.email);
    await page.goto(link);
    await page.getByRole("heading", { name: "Join Ada Lovelace's Organization" }).waitFor();
    await page.getByRole("button", { name: "Decline" }).click();
    await page.getByRole("heading", { name: "Invitation declined" }).waitFor();

    await page.goto(link);
    await page.getByRole("heading", { name: "This invitation no longer works" }).waitFor();
    const slug = slugOf(owner);
    const pending = await owner.request.get(`/api/v1/organizations/${slug}/invitations`);
    expect((await pending.json()).items).toEqual([]);
  });

  it("explains last_owner: deleting the account waits for another owner, named", async () => {
    const owner = await (await atrium.context()).newPage();
    const ada = person("Ada Lovelace");
    await signUp(owner, ada);
    const erin = person("Erin Catto");
    const page = await (await atrium.context()).newPage();
    await page.goto(await invite(owner, ada.email, erin.email));
    await page.getByRole("tab", { name: "Create account" }).click();
    await page.getByLabel("Name").fill(erin.name);
    await page.getByLabel("Password").fill(erin.password);
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.waitForURL(/\/o\/[^/]+$/);

    await owner.goto("/account/profile");
    await owner.getByRole("button", { name: "Delete account" }).click();
    const dialog = owner.getByRole("alertdialog", { name: "Delete your account?" });
    await dialog.getByLabel(`Type ${ada.email} to confirm`).fill(ada.email);
    await dialog.getByRole("button", { name: "Delete account" }).click();
    await dialog
      .getByRole("alert")
      .getByText(
        "Make someone else an owner of Ada Lovelace's Organization first, or remove its other members.",
      )
      .waitFor();
    // Nothing was deleted: the account is still signed in.
    expect((await owner.request.get("/api/v1/me")).status()).toBe(200);
  });
});

describe("instance settings", () => {
  it("offers Create organization only where the instance lets accounts create them", async () => {
    const operatorOnly = await startAtrium({ ATRIUM_ACCOUNTS_CREATE_ORGS: "false" });
    try {
      const page = await (await operatorOnly.context()).newPage();
      await signUp(page, person("Ada Lovelace"));
      await page.getByRole("button", { name: "Ada Lovelace's Organization" }).click();
      await page.getByRole("menuitem", { name: /Ada Lovelace's Organization/ }).waitFor();
      expect(await page.getByRole("menuitem", { name: "Create organization" }).count()).toBe(0);
    } finally {
      await operatorOnly.close();
    }
    // The same steps on an instance that allows it find the item (the check above can fail).
    const page = await (await atrium.context()).newPage();
    await signUp(page, person("Ada Lovelace"));
    await page.getByRole("button", { name: "Ada Lovelace's Organization" }).click();
    await page.getByRole("menuitem", { name: "Create organization" }).waitFor();
  });

  it("shows an account without an organization a page that says so", async () => {
    const plain = await startAtrium({ ATRIUM_PERSONAL_ORGS: "false" });
    try {
      const page = await (await plain.context()).newPage();
      const ada = person();
      await page.goto("/sign-up");
      await page.getByRole("heading", { name: "Create your account" }).waitFor();
      await page.getByLabel("Name").fill(ada.name);
      await page.getByLabel("Email").fill(ada.email);
      await page.getByLabel("Password").fill(ada.password);
      await page.getByRole("button", { name: "Sign up" }).click();
      await page.waitForURL((url) => url.pathname === "/welcome");
      await page.getByRole("heading", { name: "No organization yet" }).waitFor();
      await page.getByText("No invitations are waiting for you.").waitFor();
    } finally {
      await plain.close();
    }
  });

  it("explains on an invite-only instance that sign-up needs an invitation", async () => {
    const closed = await startAtrium({ ATRIUM_SIGNUP: "invite-only" });
    try {
      const page = await (await closed.context()).newPage();
      const ada = person();
      await page.goto("/sign-up");
      await page.getByRole("heading", { name: "Create your account" }).waitFor();
      await page.getByLabel("Name").fill(ada.name);
      await page.getByLabel("Email").fill(ada.email);
      await page.getByLabel("Password").fill(ada.password);
      await page.getByRole("button", { name: "Sign up" }).click();
      await page.getByRole("alert").waitFor();
      expect(await page.getByRole("alert").textContent()).toMatch(/needs an invitation/);
    } finally {
      await closed.close();
    }
  });
});
