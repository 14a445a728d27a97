import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Atrium,
  axeViolations,
  DESKTOP,
  PHONE,
  person,
  signUp,
  signUpFromInvitation,
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

/** The owner (signed in on `page` as `ownerEmail`) invites `email` by email; the link mailed. */
async function invite(page: Page, ownerEmail: string, email: string): Promise<string> {
  // Email invitations need an inviter whose own address is verified.
  const verification = new URL(await atrium.link(ownerEmail, "verify-email"));
  const verified = await page.request.post("/api/v1/auth/verify-email", {
    data: { token: verification.searchParams.get("token") },
    headers: { origin: atrium.url },
  });
  expect(verified.status()).toBe(204);
  const sent = await page.request.post(`/api/v1/organizations/${slugOf(page)}/invitations`, {
    data: { emails: [email], role: "member", delivery: "email" },
    headers: { origin: atrium.url },
  });
  expect(sent.status()).toBe(201);
  return atrium.link(email, "invite");
}

/** The invitee signs up from the emailed link, which makes them a member. */
async function signUpFromLink(link: string, who: ReturnType<typeof person>) {
  const context = await atrium.context();
  const page = await context.newPage();
  await signUpFromInvitation(page, link, who);
  await context.close();
}

/** Clicks an export link and reads the file it downloads. */
async function download(page: Page, name: "Export CSV" | "Export JSON Lines") {
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name }).click(),
  ]);
  return { name: file.suggestedFilename(), text: await readFile((await file.path())!, "utf8") };
}

const grid = (page: Page) => page.getByRole("grid", { name: "Audit events" });
/** The action sentences of the table's rows, top to bottom. */
const sentences = (page: Page) => grid(page).getByRole("rowheader").allTextContents();
const jsonLines = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as { action: string; metadata: Record<string, unknown> });

describe("the audit log", () => {
  it("says a role change in words, filters in the address, exports what the filters select, and passes axe", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const ada = person("Ada Lovelace");
    await signUp(page, ada);
    const slug = slugOf(page);
    const bob = person("Bob Kahn");
    await signUpFromLink(await invite(page, ada.email, bob.email), bob);

    const members = await page.request.get(`/api/v1/organizations/${slug}/members`);
    const memberId = (await members.json()).items.find(
      (m: { user: { email: string } }) => m.user.email === bob.email,
    ).id;
    const promoted = await page.request.patch(`/api/v1/organizations/${slug}/members/${memberId}`, {
      data: { role: "admin" },
      headers: { origin: atrium.url },
    });
    expect(promoted.status()).toBe(200);

    await page.goto(`/o/${slug}/settings/audit`);
    await page.getByRole("heading", { name: "Audit log", level: 2 }).waitFor();
    const changed = `${ada.email} changed Bob Kahn's role from member to admin`;
    await expect.poll(() => sentences(page)).toContain(changed);
    const all = await sentences(page);
    // Newest first, each in words.
    expect(all[0]).toBe(changed);
    expect(all).toEqual(
      expect.arrayContaining([
        `${bob.email} joined as member through an invitation`,
        `${bob.email} accepted an invitation as member`,
        `${ada.email} invited ${bob.email} as member`,
        `${ada.email} created the organization “Ada Lovelace's Organization”`,
      ]),
    );

    // Unfiltered, the export holds every event shown.
    const everything = await download(page, "Export JSON Lines");
    expect(everything.name).toBe("audit-events.jsonl");
    const exported = jsonLines(everything.text);
    expect(exported).toHaveLength(all.length);
    expect(exported.map((e) => e.action)).toEqual(
      expect.arrayContaining(["member.role_changed", "invitation.created", "member.added"]),
    );

    // Filtering by action: kept in the address, and only that action is shown and exported.
    await page.getByLabel("Action", { exact: true }).selectOption("member.role_changed");
    await page.waitForURL(/[?&]action=member\.role_changed/);
    await expect.poll(() => sentences(page)).toEqual([changed]);
    const csv = await download(page, "Export CSV");
    expect(csv.name).toBe("audit-events.csv");
    const [header, ...rows] = csv.text.trimEnd().split("\r\n");
    expect(header).toMatch(/^id,createdAt,action,/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(",member.role_changed,");
    expect(rows[0]).toContain(bob.email);
    const filtered = jsonLines((await download(page, "Export JSON Lines")).text);
    expect(filtered).toEqual([
      expect.objectContaining({
        action: "member.role_changed",
        metadata: { email: bob.email, name: "Bob Kahn", from: "member", to: "admin" },
      }),
    ]);
    // The filter survives a reload (it lives in the address).
    await page.reload();
    await expect.poll(() => sentences(page)).toEqual([changed]);
    expect(await page.getByLabel("Action", { exact: true }).inputValue()).toBe(
      "member.role_changed",
    );

    // By actor, as typed (any letter case), with the action cleared.
    await page.getByLabel("Action", { exact: true }).selectOption("");
    await page.getByLabel("Actor email").fill(bob.email.toUpperCase());
    await page.getByLabel("Actor email").press("Enter");
    await page.waitForURL((url) => url.searchParams.get("actor") === bob.email.toUpperCase());
    await expect
      .poll(async () => (await sentences(page)).sort())
      .toEqual(
        [
          `${bob.email} accepted an invitation as member`,
          `${bob.email} joined as member through an invitation`,
        ].sort(),
      );
    const bobs = jsonLines((await download(page, "Export JSON Lines")).text);
    expect(bobs.map((e) => e.action).sort()).toEqual(["invitation.accepted", "member.added"]);

    // A time range that ends before today shows nothing; today's "To" includes today.
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(async () => (await sentences(page)).length).toBe(all.length);
    await page.getByLabel("To", { exact: true }).fill("2020-01-01");
    await page.getByText("No events match these filters.").waitFor();
    const today = new Date();
    const day = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
    await page.getByLabel("To", { exact: true }).fill(day);
    await page.getByLabel("From", { exact: true }).fill(day);
    await page.waitForURL((url) => url.searchParams.get("from") === day);
    await expect.poll(async () => (await sentences(page)).length).toBe(all.length);

    // The details, on expansion: the metadata and the user agent.
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(() => sentences(page)).toEqual(all);
    const details = grid(page).getByRole("button", { name: "Details" }).first();
    expect(await details.getAttribute("aria-expanded")).toBe("false");
    await details.click();
    expect(await details.getAttribute("aria-expanded")).toBe("true");
    const panel = page.locator(`#${await details.getAttribute("aria-controls")}`);
    expect(await panel.textContent()).toContain('"to": "admin"');
    expect(await panel.textContent()).toContain("HeadlessChrome");
    expect(await axeViolations(page)).toEqual([]);

    // At phone width: cards, each readable, the expanded one still open.
    await page.setViewportSize(PHONE);
    const cards = page.getByRole("list", { name: "Audit events" });
    await cards.waitFor();
    expect(await cards.getByRole("listitem").first().textContent()).toContain(changed);
    const cardDetails = cards.getByRole("button", { name: "Details" }).first();
    expect(await cardDetails.getAttribute("aria-expanded")).toBe("true");
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize(DESKTOP);
    await context.close();
  });
  it("walks the log in pages of 50 with Next and Previous, newest first", async () => {
    const context = await atrium.context();
    const page = await context.newPage();
    const grace = person("Grace Hopper");
    await signUp(page, grace);
    const slug = slugOf(page);
    // Created and owner added, then 53 renames: 55 events, two pages.
    for (let i = 1; i <= 53; i++) {
      const renamed = await page.request.patch(`/api/v1/organizations/${slug}`, {
        data: { name: `Name ${i}` },
        headers: { origin: atrium.url },
      });
      expect(renamed.status()).toBe(200);
    }
    await page.goto(`/o/${slug}/settings/audit`);
    const renamedTo = (i: number) => `${grace.email} renamed the organization to “Name ${i}”`;
    await expect.poll(() => sentences(page)).toHaveLength(50);
    const first = await sentences(page);
    expect(first[0]).toBe(renamedTo(53));
    expect(first[49]).toBe(renamedTo(4));
    expect(await page.getByRole("button", { name: "Previous page" }).isDisabled()).toBe(true);

    await page.getByRole("button", { name: "Next page" }).click();
    await expect
      .poll(() => sentences(page))
      .toEqual([
        renamedTo(3),
        renamedTo(2),
        renamedTo(1),
        `${grace.email} joined as owner`,
        `${grace.email} created the organization “Grace Hopper's Organization”`,
      ]);
    expect(await page.getByText("Page 2").isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Previous page" }).click();
    await expect.poll(() => sentences(page)).toEqual(first);
    await context.close();
  });
});
