import type { Page } from "playwright-core";
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

type Person = ReturnType<typeof person>;
const changes = () => ({ headers: { origin: atrium.url } });
const heading = (page: Page) => page.getByRole("heading", { level: 1 }).textContent();

/** Opens the verification link mailed to `who`, signed in or not. */
async function verify(page: Page, who: Person) {
  const link = new URL(await atrium.link(who.email, "verify-email"));
  const verified = await page.request.post("/api/v1/auth/verify-email", {
    data: { token: link.searchParams.get("token") },
    ...changes(),
  });
  expect(verified.status()).toBe(204);
}

/** A signed-up, verified owner of their own organization, in a browser context of their own. */
async function owner(name = "Ada Lovelace") {
  const page = await (await atrium.context()).newPage();
  const who = person(name);
  await signUp(page, who);
  await verify(page, who);
  return { page, who, slug: slugOf(page) };
}

/** Invites `email` into the owner's organization; answers the invitation's id and link. */
async function invite(
  from: { page: Page; slug: string },
  email: string,
  delivery: "email" | "link",
): Promise<{ id: string; url: string }> {
  const sent = await from.page.request.post(`/api/v1/organizations/${from.slug}/invitations`, {
    data: { emails: [email], role: "member", delivery },
    ...changes(),
  });
  expect(sent.status()).toBe(201);
  const [made] = (await sent.json()).invitations as { id: string; url?: string }[];
  return { id: made!.id, url: made!.url ?? (await atrium.link(email, "invite")) };
}

/** The review every state of the page starts with. */
async function expectReview(page: Page, organization: string, email: string) {
  await page.getByRole("heading", { name: `Join ${organization}` }).waitFor();
  const review = page.locator("dl");
  expect(await review.textContent()).toContain(organization);
  expect(await review.textContent()).toContain("Member");
  expect(await review.textContent()).toContain("Ada Lovelace");
  expect(await review.textContent()).toContain(email);
  expect(await review.textContent()).toContain("Expires");
}

describe("the invitation page", () => {
  it("signs the emailed invitee up with the address fixed, into the organization as Member", async () => {
    const ada = await owner();
    const bob = person("Bob Kahn");
    const { url } = await invite(ada, bob.email, "email");

    const page = await (await atrium.context()).newPage();
    await page.goto(url);
    await expectReview(page, "Ada Lovelace's Organization", bob.email);
    await page.getByRole("tab", { name: "Create account" }).click();
    const email = page.getByLabel("Email");
    expect(await email.inputValue()).toBe(bob.email);
    expect(await email.getAttribute("readonly")).not.toBeNull();
    await page.getByLabel("Name").fill(bob.name);
    await page.getByLabel("Password").fill(bob.password);
    await page.getByRole("button", { name: "Sign up" }).click();

    await page.waitForURL(`${atrium.url}/o/${ada.slug}`);
    await expect.poll(() => heading(page)).toBe("Ada Lovelace's Organization");
    await page.getByRole("button", { name: "Ada Lovelace's Organization" }).click();
    const item = page.getByRole("menuitem", { name: /Ada Lovelace's Organization/ });
    expect(await item.textContent()).toContain("Member");
  });

  it("signs an existing account in from the link, back to the review, then accepts", async () => {
    const ada = await owner();
    const carol = person("Carol Shaw");
    const setup = await (await atrium.context()).newPage();
    await signUp(setup, carol);
    await verify(setup, carol);
    await setup.context().close();
    const { url } = await invite(ada, carol.email, "link");

    const page = await (await atrium.context()).newPage();
    await page.goto(url);
    await expectReview(page, "Ada Lovelace's Organization", carol.email);
    await page.getByRole("tab", { name: "Sign in" }).click();
    expect(await page.getByLabel("Email").inputValue()).toBe(carol.email);
    await page.getByLabel("Password").fill(carol.password);
    await page.getByRole("button", { name: "Sign in" }).click();

    // Signing in never accepts: the review comes back, with Accept and Decline.
    await page.getByRole("button", { name: "Accept" }).waitFor();
    await page.getByRole("button", { name: "Decline" }).waitFor();
    expect(new URL(page.url()).pathname).toBe(new URL(url).pathname);
    await expectReview(page, "Ada Lovelace's Organization", carol.email);
    const before = await page.request.get("/api/v1/me/organizations");
    expect((await before.json()).items.map((i: { role: string }) => i.role)).toEqual(["owner"]);

    await page.getByRole("button", { name: "Accept" }).click();
    await page.waitForURL(`${atrium.url}/o/${ada.slug}`);
    await expect.poll(() => heading(page)).toBe("Ada Lovelace's Organization");
  });

  it("tells another signed-in account whose invitation it is, and signs out to continue", async () => {
    const ada = await owner();
    const dan = person("Dan Bricklin");
    const { url } = await invite(ada, dan.email, "link");
    const eve = person("Eve Online");
    const page = await (await atrium.context()).newPage();
    await signUp(page, eve);

    await page.goto(url);
    await expectReview(page, "Ada Lovelace's Organization", dan.email);
    const warning = page.getByRole("status").filter({ hasText: "This invitation is for" });
    expect(await warning.textContent()).toBe(
      `This invitation is for ${dan.email}, but you are signed in as ${eve.email}.`,
    );
    expect(await page.getByRole("button", { name: "Accept" }).count()).toBe(0);
    await page.getByRole("button", { name: "Sign out and continue" }).click();

    await page.getByRole("tab", { name: "Create account" }).waitFor();
    expect(new URL(page.url()).pathname).toBe(new URL(url).pathname);
    expect(await page.getByLabel("Email").inputValue()).toBe(dan.email);
    expect((await page.request.get("/api/v1/me")).status()).toBe(401);
  });

  it("says an expired link has expired, and a revoked one no longer works", async () => {
    const ada = await owner();
    const expired = await invite(ada, person("Fay").email, "link");
    await atrium.db
      .updateTable("invitations")
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where("id", "=", expired.id)
      .execute();
    const revoked = await invite(ada, person("Gil").email, "link");
    const gone = await ada.page.request.delete(
      `/api/v1/organizations/${ada.slug}/invitations/${revoked.id}`,
      changes(),
    );
    expect(gone.status()).toBe(204);

    const page = await (await atrium.context()).newPage();
    await page.goto(expired.url);
    await page.getByRole("heading", { name: "This invitation has expired" }).waitFor();
    await page.getByText("Ask the person who invited you to send a new invitation.").waitFor();
    await page.goto(revoked.url);
    await page.getByRole("heading", { name: "This invitation no longer works" }).waitFor();
    await page.getByText("Ask the person who invited you for a new link.").waitFor();
    await page.goto(`/invite/${"x".repeat(43)}`);
    await page.getByRole("heading", { name: "This invitation no longer works" }).waitFor();
  });

  it("asks an unverified account to verify before accepting, and resends the link", async () => {
    const ada = await owner();
    const hal = person("Hal Abelson");
    const page = await (await atrium.context()).newPage();
    await signUp(page, hal);
    const { url } = await invite(ada, hal.email, "link");

    await page.goto(url);
    await page.getByRole("button", { name: "Accept" }).click();
    await page.getByText("Verify your email address before accepting").waitFor();
    await page.getByRole("button", { name: "Resend verification link" }).click();
    await page.getByText(`We sent a new link to ${hal.email}.`).waitFor();
    expect(new URL(page.url()).pathname).toBe(new URL(url).pathname);
  });

  it("passes axe when signed out, for another account and expired, at both widths", async () => {
    const ada = await owner();
    const ivy = person("Ivy Young");
    const { id, url } = await invite(ada, ivy.email, "link");
    const other = person("Jon Other");
    const dead = await invite(ada, person("Kim").email, "link");
    await atrium.db
      .updateTable("invitations")
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where("id", "=", dead.id)
      .execute();
    expect(id).not.toBe(dead.id);

    for (const [size, viewport] of [
      ["desktop", DESKTOP],
      ["phone", PHONE],
    ] as const) {
      const context = await atrium.context(viewport);
      const page = await context.newPage();
      await page.goto(url);
      await page.getByRole("tab", { name: "Create account" }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await page.getByRole("tab", { name: "Sign in" }).click();
      expect(await axeViolations(page)).toEqual([]);

      await signUp(page, { ...other, email: `${size}-${other.email}` });
      await page.goto(url);
      await page.getByRole("button", { name: "Sign out and continue" }).waitFor();
      expect(await axeViolations(page)).toEqual([]);

      await page.goto(dead.url);
      await page.getByRole("heading", { name: "This invitation has expired" }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await context.close();
    }
  });
});

describe("pending invitations of the signed-in account", () => {
  it("shows them on the home page and in the switcher; Accept joins, Decline removes", async () => {
    const ada = await owner();
    const grace = await owner("Grace Hopper");
    const lin = person("Lin Member");
    const page = await (await atrium.context()).newPage();
    await signUp(page, lin);
    await verify(page, lin);
    const mine = slugOf(page);
    await invite(ada, lin.email, "email");
    await invite(grace, lin.email, "email");

    await page.goto(`/o/${mine}`);
    const section = page.getByRole("region", { name: "Pending invitations" });
    const fromAda = section
      .getByRole("listitem")
      .filter({ hasText: "Ada Lovelace's Organization" });
    const fromGrace = section
      .getByRole("listitem")
      .filter({ hasText: "Grace Hopper's Organization" });
    await fromAda.waitFor();
    expect(await fromAda.textContent()).toContain("Member, invited by Ada Lovelace");
    await fromGrace.waitFor();
    expect(await axeViolations(page)).toEqual([]);

    // Decline on the home page: the invitation goes, here and in the switcher.
    await fromGrace.getByRole("button", { name: "Decline" }).click();
    await expect.poll(() => fromGrace.count()).toBe(0);
    await page.getByRole("button", { name: "Lin Member's Organization" }).click();
    await page.getByRole("menuitem", { name: /Ada Lovelace's Organization/ }).waitFor();
    expect(await page.getByRole("menuitem", { name: /Grace Hopper/ }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);

    // Accept from the switcher, by keyboard: the dialog reviews, Accept joins and lands there.
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Lin Member's Organization" }).focus();
    await page.keyboard.press("Enter");
    const invitation = page.getByRole("menuitem", { name: /Invitation to Ada Lovelace's/ });
    await invitation.waitFor();
    await invitation.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Join Ada Lovelace's Organization" });
    await dialog.getByText("Member, invited by Ada Lovelace").waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByRole("button", { name: "Accept" }).click();
    await page.waitForURL(`${atrium.url}/o/${ada.slug}`);
    await expect.poll(() => heading(page)).toBe("Ada Lovelace's Organization");
    await expect.poll(() => section.count()).toBe(0);
    const memberships = await (await page.request.get("/api/v1/me/organizations")).json();
    expect(
      memberships.items.map((i: { organization: { slug: string } }) => i.organization.slug).sort(),
    ).toEqual([ada.slug, mine].sort());
  });

  it("lists them on /welcome with Accept and Decline", async () => {
    const plain = await startAtrium({ ATRIUM_PERSONAL_ORGS: "false" });
    try {
      const adminPage = await (await plain.context()).newPage();
      const ada = person("Ada Lovelace");
      await adminPage.goto("/sign-up");
      await adminPage.getByLabel("Name").fill(ada.name);
      await adminPage.getByLabel("Email").fill(ada.email);
      await adminPage.getByLabel("Password").fill(ada.password);
      await adminPage.getByRole("button", { name: "Sign up" }).click();
      await adminPage.waitForURL((u) => u.pathname === "/welcome");
      const verifyLink = new URL(await plain.link(ada.email, "verify-email"));
      await adminPage.request.post("/api/v1/auth/verify-email", {
        data: { token: verifyLink.searchParams.get("token") },
        headers: { origin: plain.url },
      });
      const slugs: string[] = [];
      for (const name of ["Acme", "Beta"]) {
        const created = await adminPage.request.post("/api/v1/organizations", {
          data: { name },
          headers: { origin: plain.url },
        });
        expect(created.status()).toBe(201);
        slugs.push((await created.json()).slug);
      }

      const moe = person("Moe Welcome");
      const page = await (await plain.context(PHONE)).newPage();
      await page.goto("/sign-up");
      await page.getByLabel("Name").fill(moe.name);
      await page.getByLabel("Email").fill(moe.email);
      await page.getByLabel("Password").fill(moe.password);
      await page.getByRole("button", { name: "Sign up" }).click();
      await page.waitForURL((u) => u.pathname === "/welcome");
      const moeLink = new URL(await plain.link(moe.email, "verify-email"));
      await page.request.post("/api/v1/auth/verify-email", {
        data: { token: moeLink.searchParams.get("token") },
        headers: { origin: plain.url },
      });
      for (const org of slugs) {
        const sent = await adminPage.request.post(`/api/v1/organizations/${org}/invitations`, {
          data: { emails: [moe.email], role: "member", delivery: "email" },
          headers: { origin: plain.url },
        });
        expect(sent.status()).toBe(201);
      }

      await page.reload();
      const items = page.getByRole("region", { name: "Pending invitations" }).getByRole("listitem");
      await expect.poll(() => items.count()).toBe(2);
      expect(await axeViolations(page)).toEqual([]);
      await items.filter({ hasText: "Beta" }).getByRole("button", { name: "Decline" }).click();
      await expect.poll(() => items.count()).toBe(1);
      await items.filter({ hasText: "Acme" }).getByRole("button", { name: "Accept" }).click();
      await page.waitForURL((u) => u.pathname === `/o/${slugs[0]}`);
      await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Acme");
    } finally {
      await plain.close();
    }
  });
});
