import type { BrowserContext, Page } from "playwright-core";
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

/** A signed-up owner with a verified address, in an organization that admits only @example.com. */
async function owner(context: BrowserContext) {
  const page = await context.newPage();
  const ada = person("Ada Lovelace");
  await signUp(page, ada);
  const slug = slugOf(page);
  const verification = new URL(await atrium.link(ada.email, "verify-email"));
  const verified = await page.request.post("/api/v1/auth/verify-email", {
    data: { token: verification.searchParams.get("token") },
    headers: { origin: atrium.url },
  });
  expect(verified.status()).toBe(204);
  const domains = await page.request.patch(`/api/v1/organizations/${slug}`, {
    data: { allowedEmailDomains: ["example.com"] },
    headers: { origin: atrium.url },
  });
  expect(domains.status()).toBe(200);
  return { page, slug, ada };
}

/** Both widths: 0 axe violations at each. */
async function checkBothWidths(page: Page) {
  for (const viewport of [DESKTOP, PHONE]) {
    await page.setViewportSize(viewport);
    expect(await axeViolations(page)).toEqual([]);
  }
  await page.setViewportSize(DESKTOP);
}

const box = (page: Page) => page.getByLabel("Email addresses");

/** Delivery by link, chosen as a person does: by its label. */
async function chooseLink(page: Page) {
  await page.locator("label").filter({ hasText: "Generate invitation link" }).click();
  expect(await page.getByRole("radio", { name: "Generate invitation link" }).isChecked()).toBe(
    true,
  );
}

describe("the Invite page", () => {
  it("invites by email and by link, shows each address's result, and keeps the refused ones", async () => {
    const context = await atrium.context();
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: atrium.url });
    const { page, slug } = await owner(context);
    const bob = person("Bob Kahn");
    const carol = person("Carol Shaw");
    const outsider = "mallory@elsewhere.org";

    await page.goto(`/o/${slug}/settings/invite`);
    await page.getByRole("heading", { name: "Invite people" }).waitFor();
    // An owner may grant every role; Member is chosen until changed.
    expect(await page.getByLabel("Role").locator("option").allTextContents()).toEqual([
      "Member",
      "Admin",
      "Owner",
    ]);
    expect(await page.getByLabel("Role").inputValue()).toBe("member");
    expect(await page.getByRole("radio", { name: "Send email" }).isChecked()).toBe(true);

    // By email: one address invited, one refused for its domain.
    await box(page).fill(`${bob.email}, ${outsider}`);
    await page.getByRole("button", { name: "Send invitations" }).click();
    await page.getByRole("status").getByText("1 invited, 1 not invited.").waitFor();
    const invited = page.getByRole("list", { name: "Invited", exact: true });
    const refused = page.getByRole("list", { name: "Not invited" });
    expect(await invited.getByRole("listitem").allTextContents()).toEqual([
      expect.stringContaining(bob.email),
    ]);
    expect(await refused.getByRole("listitem").allTextContents()).toEqual([
      `${outsider}Its domain is not one of the organization's allowed email domains (example.com)`,
    ]);
    expect(await box(page).inputValue()).toBe(outsider);
    expect(await atrium.link(bob.email, "invite")).toMatch(/\/invite\//);
    await checkBothWidths(page);

    // By link: the corrected box, one link to copy.
    await box(page).fill(`${carol.email}\n${bob.email}`);
    await chooseLink(page);
    await page.getByRole("button", { name: "Generate links" }).click();
    await page.getByRole("status").getByText("1 invited, 1 not invited.").waitFor();
    expect(await refused.getByRole("listitem").allTextContents()).toEqual([
      `${bob.email}Already invited — resend it from Invitations`,
    ]);
    expect(await box(page).inputValue()).toBe(bob.email);
    await invited.getByRole("button", { name: `Copy link for ${carol.email}` }).click();
    await page.getByText("Link copied").waitFor();
    const link = await page.evaluate(() => navigator.clipboard.readText());
    expect(link).toMatch(new RegExp(`^${atrium.url}/invite/[A-Za-z0-9_-]+$`));
    expect(await invited.locator("code").textContent()).toBe(link);
    await checkBothWidths(page);

    // The invitee opens the link in a browser of their own.
    const invitee = await (await atrium.context()).newPage();
    await invitee.goto(link);
    await invitee.getByRole("heading", { name: "Join Ada Lovelace's Organization" }).waitFor();
    // The review names the address the link was made for.
    expect(await invitee.getByRole("definition").allTextContents()).toContain(carol.email);

    // Both wait on the Invitations page; resending the emailed one says so.
    await page.getByRole("link", { name: "Invitations", exact: true }).first().click();
    await page.getByRole("heading", { name: "Pending invitations" }).waitFor();
    const rows = page.getByRole("grid", { name: "Pending invitations" }).getByRole("row");
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.nth(1).textContent()).toContain(`${bob.email}MemberEmailAda Lovelace`);
    expect(await rows.nth(2).textContent()).toContain(`${carol.email}MemberLinkAda Lovelace`);
    await checkBothWidths(page);
    await page.getByRole("button", { name: `Resend invitation to ${bob.email}` }).click();
    await page.getByText(`Sent again to ${bob.email}`).waitFor();
    await context.close();
  }, 120_000);

  it("explains an unverified inviter and a list that is too long, and loses nothing", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    await signUp(page, person("Grace Hopper"));
    await page.goto(`/o/${slugOf(page)}/settings/invite`);
    const many = Array.from({ length: 101 }, (_, i) => `p${i}@example.com`).join("; ");
    await box(page).fill(many);
    await page.getByRole("button", { name: "Send invitations" }).click();
    await page
      .getByText("At most 100 addresses at a time: send the first 100, then the rest.")
      .waitFor();

    const dan = person("Dan Bricklin");
    await box(page).fill(dan.email);
    await page.getByRole("button", { name: "Send invitations" }).click();
    await page
      .getByRole("alert")
      .getByText(/^Verify your own email address before Atrium sends invitations by email/)
      .waitFor();
    expect(await box(page).inputValue()).toBe(dan.email);
    // A link needs no verified address.
    await chooseLink(page);
    await page.getByRole("button", { name: "Generate links" }).click();
    await page.getByRole("status").getByText("1 invited, 0 not invited.").waitFor();
    expect(await box(page).inputValue()).toBe("");
    await context.close();
  });
});

describe("an admin", () => {
  it("may grant only admin and member, and leaves an owner's invitation alone", async () => {
    const { page: ownerPage, slug } = await owner(await atrium.context());
    const gina = person("Gina Admin");
    const heir = person("Hal Heir");
    const invite = async (email: string, role: string) => {
      const made = await ownerPage.request.post(`/api/v1/organizations/${slug}/invitations`, {
        data: { emails: [email], role, delivery: "link" },
        headers: { origin: atrium.url },
      });
      expect(made.status()).toBe(201);
      return ((await made.json()) as { invitations: { url: string }[] }).invitations[0]!.url;
    };
    const ginaLink = await invite(gina.email, "admin");
    await invite(heir.email, "owner");

    // Gina signs up from her link, which makes her an admin.
    const context = await atrium.context();
    const page = await context.newPage();
    const signedUp = await page.request.post("/api/v1/auth/sign-up", {
      data: { ...gina, invitationToken: ginaLink.split("/invite/")[1] },
      headers: { origin: atrium.url },
    });
    expect(signedUp.status()).toBe(201);

    await page.goto(`/o/${slug}/settings/invite`);
    await page.getByRole("heading", { name: "Invite people" }).waitFor();
    expect(await page.getByLabel("Role").locator("option").allTextContents()).toEqual([
      "Member",
      "Admin",
    ]);
    await page.goto(`/o/${slug}/settings/invitations`);
    await page.getByRole("rowheader", { name: heir.email }).waitFor();
    const table = page.getByRole("grid", { name: "Pending invitations" });
    expect(await table.getByRole("button").count()).toBe(0);
    await context.close();
  });
});

describe("the Invitations page", () => {
  it("resends a link invitation with a new link and revokes another, each old link dead", async () => {
    const context = await atrium.context();
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: atrium.url });
    const { page, slug } = await owner(context);
    const dave = person("Dave Cutler");
    const erin = person("Erin Catto");
    const made = await page.request.post(`/api/v1/organizations/${slug}/invitations`, {
      data: { emails: [dave.email, erin.email], role: "admin", delivery: "link" },
      headers: { origin: atrium.url },
    });
    expect(made.status()).toBe(201);
    const [daveOld, erinLink] = (
      (await made.json()) as { invitations: { url: string }[] }
    ).invitations.map((invitation) => invitation.url);

    await page.goto(`/o/${slug}/settings/invitations`);
    await page.getByRole("rowheader", { name: dave.email }).waitFor();

    // Resend: a new link to copy; the old one no longer works.
    await page.getByRole("button", { name: `Resend invitation to ${dave.email}` }).click();
    const dialog = page.getByRole("dialog", { name: "New invitation link" });
    const daveNew = await dialog.locator("code").textContent();
    expect(daveNew).toMatch(new RegExp(`^${atrium.url}/invite/`));
    expect(daveNew).not.toBe(daveOld);
    await dialog.getByRole("button", { name: "Copy link" }).click();
    await page.getByText("Link copied").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(daveNew);
    await checkBothWidths(page);
    await dialog.getByRole("button", { name: "Done" }).click();

    const invitee = await (await atrium.context()).newPage();
    await invitee.goto(daveOld!);
    await invitee.getByRole("heading", { name: "This invitation no longer works" }).waitFor();
    await invitee.goto(daveNew!);
    await invitee.getByRole("heading", { name: "Join Ada Lovelace's Organization" }).waitFor();

    // Revoke, at phone width (cards): it asks first, then the invitation is gone.
    await page.setViewportSize(PHONE);
    const cards = page.getByRole("list", { name: "Pending invitations" });
    await cards.getByRole("button", { name: `Revoke invitation to ${erin.email}` }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke this invitation?" });
    await confirm.getByText(`The invitation to ${erin.email} stops working`).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await confirm.getByRole("button", { name: "Revoke" }).click();
    await page.getByText(`Invitation to ${erin.email} revoked`).waitFor();
    await expect.poll(() => cards.getByRole("listitem").count()).toBe(1);
    expect(await cards.textContent()).toContain(dave.email);
    expect(await cards.textContent()).not.toContain(erin.email);
    await page.setViewportSize(DESKTOP);
    expect(await page.getByRole("rowheader", { name: erin.email }).count()).toBe(0);

    await invitee.goto(erinLink!);
    await invitee.getByRole("heading", { name: "This invitation no longer works" }).waitFor();
    await context.close();
  }, 120_000);

  it("shows 50 invitations a page, with Next and Previous", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    await signUp(page, person("Barbara Liskov"));
    const slug = slugOf(page);
    const stamp = Date.now();
    const emails = Array.from(
      { length: 51 },
      (_, i) => `page${String(i).padStart(2, "0")}-${stamp}@example.com`,
    );
    const made = await page.request.post(`/api/v1/organizations/${slug}/invitations`, {
      data: { emails, role: "member", delivery: "link" },
      headers: { origin: atrium.url },
    });
    expect(((await made.json()) as { invitations: unknown[] }).invitations).toHaveLength(51);

    await page.goto(`/o/${slug}/settings/invitations`);
    const rows = page.getByRole("grid", { name: "Pending invitations" }).getByRole("row");
    await expect.poll(() => rows.count()).toBe(51);
    const pages = page.getByRole("navigation", { name: "Pages of invitations" });
    expect(await pages.getByRole("button", { name: "Previous page" }).isDisabled()).toBe(true);
    await pages.getByRole("button", { name: "Next page" }).click();
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(1).textContent()).toContain(emails[50]);
    expect(await pages.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
    await pages.getByRole("button", { name: "Previous page" }).click();
    await expect.poll(() => rows.count()).toBe(51);
    expect(await rows.nth(1).textContent()).toContain(emails[0]);
    await context.close();
  });

  it("shows an empty state that leads to Invite", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    await signUp(page, person("Frances Allen"));
    const slug = slugOf(page);
    await page.goto(`/o/${slug}/settings/invitations`);
    await page.getByText("No invitations are waiting for an answer.").waitFor();
    await checkBothWidths(page);
    await page.getByRole("main").getByRole("link", { name: "Invite people" }).first().click();
    await page.waitForURL(`**/o/${slug}/settings/invite`);
    await context.close();
  });
});

describe("inviting an owner", () => {
  let strict: Atrium;
  beforeAll(async () => {
    strict = await startAtrium({ ATRIUM_SESSION_FRESH: "2s" });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it("asks for the password when the session is no longer fresh, then invites", async () => {
    const context = await strict.context();
    const page = await context.newPage();
    const ada = person("Ada Lovelace");
    await signUp(page, ada);
    const heir = person("Hal Heir");
    await page.goto(`/o/${slugOf(page)}/settings/invite`);
    await box(page).fill(heir.email);
    await page.getByLabel("Role").selectOption("owner");
    await chooseLink(page);
    await page.waitForTimeout(2500);
    await page.getByRole("button", { name: "Generate links" }).click();

    const dialog = page.getByRole("dialog", { name: "Confirm your password" });
    await dialog.getByLabel("Password").fill(ada.password);
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await page.getByRole("status").getByText("1 invited, 0 not invited.").waitFor();
    expect(await page.getByRole("list", { name: "Invited", exact: true }).textContent()).toContain(
      `${heir.email}Owner · link`,
    );
    await context.close();
  });
});
