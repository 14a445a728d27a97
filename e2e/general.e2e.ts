import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Atrium,
  axeViolations,
  DESKTOP,
  PHONE,
  person,
  signUp,
  slugOf,
  startAtrium,
} from "./support.js";

let atrium: Atrium;
beforeAll(async () => {
  atrium = await startAtrium();
});
afterAll(async () => {
  await atrium?.close();
});

/** A new owner on the General page of their own organization. */
async function ownerOnGeneral(viewport = DESKTOP) {
  const context = await atrium.context(viewport);
  const page = await context.newPage();
  const owner = person("Ada Lovelace");
  await signUp(page, owner);
  const slug = slugOf(page);
  await page.getByRole("button", { name: "Ada Lovelace's Organization" }).click();
  await page.getByRole("menuitem", { name: "Manage" }).click();
  await page.waitForURL(`**/o/${slug}/settings/general`);
  await page.getByRole("heading", { name: "Name and address" }).waitFor();
  return { context, page, owner, slug };
}

describe("an organization's general settings", () => {
  it("renames and moves the organization; the old address says where it went", async () => {
    const { context, page, slug } = await ownerOnGeneral();
    await page.getByLabel("Name", { exact: true }).fill("Analytical Engines");
    const moved = `engines-${Date.now()}`;
    await page.getByLabel("Slug").fill(moved);
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(`**/o/${moved}/settings/general`);
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe("Manage Analytical Engines");
    // The switcher follows the new name.
    await page.getByRole("button", { name: "Analytical Engines" }).waitFor();

    await page.goto(`/o/${slug}/settings/members`);
    await page.getByRole("heading", { name: "Analytical Engines has moved" }).waitFor();
    await page.getByRole("link", { name: `/o/${moved}/settings/members` }).click();
    await page.waitForURL(`**/o/${moved}/settings/members`);

    // A slug that never was answers like any unknown organization.
    await page.goto("/o/no-such-organization-anywhere/settings/general");
    await page.getByRole("heading", { name: "Organization not found" }).waitFor();
    // The switcher names no organization in its place, so Manage cannot open another one.
    await page.getByRole("button", { name: "Organizations" }).click();
    await page.getByRole("menuitem", { name: /Analytical Engines/ }).waitFor();
    expect(await page.getByRole("menuitem", { name: "Manage" }).count()).toBe(0);
    await context.close();
  });

  it("adds and removes allowed email domains as chips, and refuses a bad one", async () => {
    const { context, page, slug } = await ownerOnGeneral();
    const domains = page.getByRole("list", { name: "Allowed email domains" });
    await page.getByRole("textbox", { name: "Domain" }).fill("@Example.org");
    await page.getByRole("button", { name: "Add domain" }).click();
    await expect
      .poll(() => domains.getByRole("listitem").allTextContents())
      .toEqual(["example.org×"]);
    await page.getByRole("textbox", { name: "Domain" }).fill("acme.com");
    await page.keyboard.press("Enter");
    await expect.poll(() => domains.getByRole("listitem").count()).toBe(2);
    await page.getByText("alice@example.org can only invite @example.org addresses").waitFor();
    const stored = async () =>
      (await (await page.request.get(`/api/v1/organizations/${slug}`)).json()).allowedEmailDomains;
    expect(await stored()).toEqual(["example.org", "acme.com"]);

    await page.getByRole("button", { name: "Remove example.org" }).click();
    await expect.poll(stored).toEqual(["acme.com"]);

    await page.getByRole("textbox", { name: "Domain" }).fill("not a domain");
    await page.getByRole("button", { name: "Add domain" }).click();
    await page.getByRole("alert").filter({ hasText: "is not a domain name" }).waitFor();
    expect(await stored()).toEqual(["acme.com"]);
    await context.close();
  });

  it("deletes the organization once its name is typed", async () => {
    const { context, page, slug } = await ownerOnGeneral();
    await page.getByRole("button", { name: "Delete organization" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Delete Ada Lovelace's Organization?" });
    const confirm = dialog.getByRole("button", { name: "Delete organization" });
    await dialog.getByLabel("Type Ada Lovelace's Organization to confirm").fill("Ada Lovelace");
    expect(await confirm.isDisabled()).toBe(true);
    await dialog
      .getByLabel("Type Ada Lovelace's Organization to confirm")
      .fill("Ada Lovelace's Organization");
    await confirm.click();
    await page.waitForURL("**/welcome");
    expect((await page.request.get(`/api/v1/organizations/${slug}`)).status()).toBe(404);
    await context.close();
  });

  it("has no axe violations at desktop and phone widths, with the delete dialog open", async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      const { context, page } = await ownerOnGeneral(viewport);
      await page.getByRole("textbox", { name: "Domain" }).fill("example.org");
      await page.getByRole("button", { name: "Add domain" }).click();
      await page.getByRole("button", { name: "Remove example.org" }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await page.getByRole("button", { name: "Delete organization" }).click();
      await page.getByRole("alertdialog", { name: /^Delete / }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await context.close();
    }
  });
});
