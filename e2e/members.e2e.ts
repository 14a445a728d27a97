import { sql } from "kysely";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type Atrium,
  axeViolations,
  DESKTOP,
  PHONE,
  person,
  signIn,
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

// Each test's browsers close after it, so that the next (the 10,000-member seed) has the machine.
const opened: BrowserContext[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((context) => context.close()));
});
async function newPage(viewport = DESKTOP): Promise<Page> {
  const context = await atrium.context(viewport);
  opened.push(context);
  return context.newPage();
}

type Person = ReturnType<typeof person>;

/** Waits for the page to settle on a value; generous, as the machine may be busy. */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });

/** A new account in its own browser, owner of its personal organization. */
async function owner(name: string, viewport = DESKTOP) {
  const page = await newPage(viewport);
  const who = person(name);
  await signUp(page, who);
  const slug = slugOf(page);
  return { page, who, slug };
}

/** `inviter` invites a new person to `slug` by link; they sign up from it in their own browser. */
async function join(
  inviter: Page,
  slug: string,
  name: string,
): Promise<{ page: Page; who: Person }> {
  const who = person(name);
  const sent = await inviter.request.post(`/api/v1/organizations/${slug}/invitations`, {
    data: { emails: [who.email], role: "member", delivery: "link" },
    headers: { origin: atrium.url },
  });
  expect(sent.status()).toBe(201);
  const { invitations } = (await sent.json()) as { invitations: { url: string }[] };
  const page = await newPage();
  await signUpFromInvitation(page, invitations[0]!.url, who);
  // Sign-up from the link lands in the organization that invited them.
  expect(new URL(page.url()).pathname).toBe(`/o/${slug}`);
  return { page, who };
}

const membersPage = (slug: string) => `/o/${slug}/settings/members`;

/** The names in the visible list of members (the table's row headers, or the cards' titles). */
async function names(page: Page): Promise<string[]> {
  const headers = await page
    .getByRole("grid", { name: "Members" })
    .getByRole("rowheader")
    .allTextContents();
  return headers.map((text) => text.replace(/\s*You$/, "").trim());
}

async function openMembers(page: Page, slug: string) {
  await page.goto(membersPage(slug));
  await page.getByRole("heading", { level: 2, name: "Members" }).waitFor();
  await page
    .getByRole("grid", { name: "Members" })
    .or(page.getByRole("list", { name: "Members" }))
    .waitFor();
}

describe("the members page", () => {
  it("lets the owner make a member an admin, who may then manage; a plain member may not", async () => {
    const ada = await owner("Ada Lovelace");
    const bob = await join(ada.page, ada.slug, "Bob Kahn");
    const carol = await join(ada.page, ada.slug, "Carol Shaw");

    await openMembers(ada.page, ada.slug);
    await poll(() => names(ada.page)).toEqual(["Ada Lovelace", "Bob Kahn", "Carol Shaw"]);
    // The owner's own row is marked, and offers leaving rather than removal.
    const adaRow = ada.page.getByRole("row", { name: /Ada Lovelace/ });
    await adaRow.getByText("You", { exact: true }).waitFor();
    await adaRow.getByRole("button", { name: "Leave organization" }).waitFor();

    await ada.page.getByRole("combobox", { name: "Role of Bob Kahn" }).selectOption("admin");
    await ada.page.getByText("Bob Kahn is now an admin.").waitFor();
    await ada.page.reload();
    await poll(() =>
      ada.page.getByRole("combobox", { name: "Role of Bob Kahn" }).inputValue(),
    ).toBe("admin");

    // The new admin finds Manage in the organization switcher, and may change members but not the owner.
    await bob.page.goto(`/o/${ada.slug}`);
    await bob.page.getByRole("button", { name: "Ada Lovelace's Organization" }).click();
    await bob.page.getByRole("menuitem", { name: "Manage" }).click();
    await bob.page.getByRole("link", { name: "Members" }).click();
    await poll(() => names(bob.page)).toEqual(["Ada Lovelace", "Bob Kahn", "Carol Shaw"]);
    await bob.page.getByRole("combobox", { name: "Role of Carol Shaw" }).waitFor();
    const options = await bob.page
      .getByRole("combobox", { name: "Role of Carol Shaw" })
      .locator("option")
      .allTextContents();
    expect(options).toEqual(["Admin", "Member"]);
    await bob.page.getByRole("button", { name: "Remove Carol Shaw" }).waitFor();
    expect(await bob.page.getByRole("combobox", { name: "Role of Ada Lovelace" }).count()).toBe(0);
    expect(await bob.page.getByRole("button", { name: "Remove Ada Lovelace" }).count()).toBe(0);
    expect(
      await bob.page
        .getByRole("row", { name: /Ada Lovelace/ })
        .getByRole("gridcell")
        .allTextContents(),
    ).toContain("Owner");

    // A plain member has no Manage, and a typed address says they have no access.
    await carol.page.goto(`/o/${ada.slug}`);
    await carol.page.getByRole("button", { name: "Ada Lovelace's Organization" }).click();
    await carol.page.getByRole("menuitem", { name: "Create organization" }).waitFor();
    expect(await carol.page.getByRole("menuitem", { name: "Manage" }).count()).toBe(0);
    await carol.page.keyboard.press("Escape");
    await carol.page.goto(membersPage(ada.slug));
    await carol.page.getByRole("heading", { name: "You don't have access" }).waitFor();
    expect(await carol.page.getByRole("grid", { name: "Members" }).count()).toBe(0);
  });

  it("removes a member after confirmation, whose next visit finds no organization", async () => {
    const ada = await owner("Ada Lovelace");
    const dan = await join(ada.page, ada.slug, "Dan Bricklin");

    await openMembers(ada.page, ada.slug);
    await ada.page.getByRole("button", { name: "Remove Dan Bricklin" }).click();
    const dialog = ada.page.getByRole("alertdialog", { name: "Remove Dan Bricklin?" });
    await dialog.getByRole("button", { name: "Remove" }).click();
    await dialog.waitFor({ state: "hidden" });
    await poll(() => names(ada.page)).toEqual(["Ada Lovelace"]);

    await dan.page.goto(`/o/${ada.slug}`);
    await dan.page.getByRole("heading", { name: "Organization not found" }).waitFor();
  });

  it("keeps the last owner from leaving and says why; once another is owner, they can leave", async () => {
    const ada = await owner("Ada Lovelace");
    await join(ada.page, ada.slug, "Bob Kahn");
    const organization = "Ada Lovelace's Organization";

    await openMembers(ada.page, ada.slug);
    await ada.page.getByRole("button", { name: "Leave organization" }).click();
    const leave = ada.page.getByRole("alertdialog", { name: `Leave ${organization}?` });
    await leave.getByRole("button", { name: "Leave organization" }).click();
    await leave
      .getByRole("alert")
      .getByText(
        `You are the only owner of ${organization}. Make someone else an owner first, or delete the organization.`,
      )
      .waitFor();
    await leave.getByRole("button", { name: "Cancel" }).click();
    expect(await names(ada.page)).toEqual(["Ada Lovelace", "Bob Kahn"]);

    // Granting ownership says what the new owner may do, and asks first.
    await ada.page.getByRole("combobox", { name: "Role of Bob Kahn" }).selectOption("owner");
    const grant = ada.page.getByRole("dialog", { name: "Make Bob Kahn an owner?" });
    expect(await grant.textContent()).toContain(
      "everything an admin can, and also manage owners (make others owners, change or remove them) and delete Ada Lovelace's Organization",
    );
    await grant.getByRole("button", { name: "Make owner" }).click();
    await ada.page.getByText("Bob Kahn is now an owner.").waitFor();

    await ada.page.getByRole("button", { name: "Leave organization" }).click();
    await leave.getByRole("button", { name: "Leave organization" }).click();
    // Ada's only organization is gone from her list: she lands on the page for no organization.
    await ada.page.waitForURL((url) => url.pathname === "/welcome");
    expect((await ada.page.request.get(`/api/v1/organizations/${ada.slug}`)).status()).toBe(404);
  });

  it("lets a plain member, who has no management pages, leave from the organization's home", async () => {
    const ada = await owner("Ada Lovelace");
    const bob = await join(ada.page, ada.slug, "Bob Kahn");
    await bob.page.goto(`/o/${ada.slug}`);
    await bob.page.getByRole("button", { name: "Leave organization" }).click();
    const dialog = bob.page.getByRole("alertdialog", {
      name: "Leave Ada Lovelace's Organization?",
    });
    await dialog.getByRole("button", { name: "Leave organization" }).click();
    await bob.page.waitForURL((url) => !url.pathname.startsWith(`/o/${ada.slug}`));
    await openMembers(ada.page, ada.slug);
    await poll(() => names(ada.page)).toEqual(["Ada Lovelace"]);
  });

  it("finds one person among 10,000 members by part of their email, and pages through the rest", async () => {
    const ada = await owner("Ada Lovelace");
    const org = (await (
      await ada.page.request.get(`/api/v1/organizations/${ada.slug}`)
    ).json()) as {
      id: string;
    };
    // Ids in the server's format (prefix, then 26 Crockford base32 characters; digits are
    // valid), sorting before Ada's own so that she is on the last page.
    await sql`
      INSERT INTO users (id, email, email_canonical, name, created_at, updated_at)
      SELECT 'usr_' || lpad(i::text, 26, '0'), 'seeded' || i || '@bulk.example',
             'seeded' || i || '@bulk.example', 'Seeded Person ' || i, now(), now()
      FROM generate_series(1, 10000) AS i`.execute(atrium.db);
    await sql`
      INSERT INTO organization_members (id, organization_id, user_id, role, created_at)
      SELECT 'mem_' || lpad(i::text, 26, '0'), ${org.id}, 'usr_' || lpad(i::text, 26, '0'),
             'member', now()
      FROM generate_series(1, 10000) AS i`.execute(atrium.db);

    await openMembers(ada.page, ada.slug);
    await poll(async () => (await names(ada.page)).length).toBe(50);
    expect((await names(ada.page))[0]).toBe("Seeded Person 1");
    await ada.page.getByRole("button", { name: "Next page" }).click();
    await ada.page.getByText("Page 2").waitFor();
    await poll(async () => (await names(ada.page))[0]).toBe("Seeded Person 51");
    await ada.page.getByRole("button", { name: "Previous page" }).click();
    await poll(async () => (await names(ada.page))[0]).toBe("Seeded Person 1");

    await ada.page.getByRole("searchbox", { name: "Search members" }).fill("D4242@BULK");
    await poll(() => names(ada.page)).toEqual(["Seeded Person 4242"]);
    expect(new URL(ada.page.url()).searchParams.get("q")).toBe("D4242@BULK");
    const row = ada.page.getByRole("row", { name: /Seeded Person 4242/ });
    expect(await row.getByRole("gridcell").allTextContents()).toContain("seeded4242@bulk.example");
    expect(await ada.page.getByRole("button", { name: "Next page" }).count()).toBe(0);

    // The address holds the search: a reload shows the same answer, and the filter joins it.
    await ada.page.reload();
    await poll(() => names(ada.page)).toEqual(["Seeded Person 4242"]);
    expect(await ada.page.getByRole("searchbox", { name: "Search members" }).inputValue()).toBe(
      "D4242@BULK",
    );
    await ada.page.getByRole("searchbox", { name: "Search members" }).fill("");
    await ada.page.getByRole("combobox", { name: "Role", exact: true }).selectOption("owner");
    await poll(() => names(ada.page)).toEqual(["Ada Lovelace"]);
    const url = new URL(ada.page.url());
    expect([url.searchParams.get("q"), url.searchParams.get("role")]).toEqual([null, "owner"]);
  }, 240_000);

  it("never shows one organization's members in another's page", async () => {
    const ada = await owner("Ada Lovelace");
    await join(ada.page, ada.slug, "Bob Kahn");
    const created = await ada.page.request.post("/api/v1/organizations", {
      data: { name: "Zeta Labs" },
      headers: { origin: atrium.url },
    });
    expect(created.status()).toBe(201);
    const zeta = ((await created.json()) as { slug: string }).slug;
    await join(ada.page, zeta, "Carol Shaw");

    await openMembers(ada.page, ada.slug);
    await poll(() => names(ada.page)).toEqual(["Ada Lovelace", "Bob Kahn"]);
    // Every name the members table ever shows, with the address it showed under.
    await ada.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const record = () => {
        for (const cell of document.querySelectorAll('[role="rowheader"]'))
          seen.push(`${location.pathname}|${cell.textContent}`);
      };
      new MutationObserver(record).observe(document.body, {
        childList: true,
        subtree: true,
        characterData: true,
      });
    });

    await ada.page.getByRole("button", { name: "Ada Lovelace's Organization" }).click();
    await ada.page.getByRole("menuitem", { name: /Zeta Labs/ }).click();
    await ada.page.getByRole("heading", { level: 1, name: "Zeta Labs" }).waitFor();
    await ada.page.getByRole("button", { name: "Zeta Labs" }).click();
    await ada.page.getByRole("menuitem", { name: "Manage" }).click();
    await ada.page.getByRole("link", { name: "Members" }).click();
    await poll(() => names(ada.page)).toEqual(["Ada Lovelace", "Carol Shaw"]);
    await ada.page.goBack();
    await ada.page.goBack();
    await ada.page.goBack();
    await ada.page.waitForURL((url) => url.pathname === membersPage(ada.slug));
    await poll(() => names(ada.page)).toEqual(["Ada Lovelace", "Bob Kahn"]);
    await ada.page.goForward();
    await ada.page.goForward();
    await ada.page.goForward();
    await poll(() => names(ada.page)).toEqual(["Ada Lovelace", "Carol Shaw"]);

    const seen = await ada.page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.some((entry) => entry.startsWith(`${membersPage(zeta)}|`))).toBe(true);
    expect(seen.filter((entry) => entry.startsWith(`${membersPage(zeta)}|Bob`))).toEqual([]);
    expect(seen.filter((entry) => entry.startsWith(`${membersPage(ada.slug)}|Carol`))).toEqual([]);
  });

  it("has no accessibility violations at desktop and phone width, with a select and a dialog open", async () => {
    const ada = await owner("Ada Lovelace");
    await join(ada.page, ada.slug, "Bob Kahn");

    await openMembers(ada.page, ada.slug);
    await poll(() => names(ada.page)).toEqual(["Ada Lovelace", "Bob Kahn"]);
    await ada.page.getByRole("combobox", { name: "Role of Bob Kahn" }).focus();
    expect(await axeViolations(ada.page)).toEqual([]);
    await ada.page.getByRole("button", { name: "Remove Bob Kahn" }).click();
    await ada.page.getByRole("alertdialog", { name: "Remove Bob Kahn?" }).waitFor();
    expect(await axeViolations(ada.page)).toEqual([]);

    const phone = await newPage(PHONE);
    await signIn(phone, ada.who);
    await phone.waitForURL(/\/o\//);
    await openMembers(phone, ada.slug);
    const cards = phone.getByRole("list", { name: "Members" });
    await cards.getByText("Bob Kahn").waitFor();
    expect(await phone.getByRole("grid", { name: "Members" }).isVisible()).toBe(false);
    expect(await axeViolations(phone)).toEqual([]);
    await phone.getByRole("combobox", { name: "Role of Bob Kahn" }).selectOption("owner");
    await phone.getByRole("dialog", { name: "Make Bob Kahn an owner?" }).waitFor();
    expect(await axeViolations(phone)).toEqual([]);
  });
});

describe("ownership with a sign-in that is no longer recent", () => {
  let strict: Atrium;
  beforeAll(async () => {
    strict = await startAtrium({ ATRIUM_SESSION_FRESH: "2s" });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it("asks for the password, then makes the member an owner by itself", async () => {
    const context = await strict.context();
    const page = await context.newPage();
    const ada = person("Ada Lovelace");
    await signUp(page, ada);
    const slug = slugOf(page);
    const sent = await page.request.post(`/api/v1/organizations/${slug}/invitations`, {
      data: { emails: ["bob@example.com"], role: "member", delivery: "link" },
      headers: { origin: strict.url },
    });
    const { invitations } = (await sent.json()) as { invitations: { url: string }[] };
    const bob = await (await strict.context()).newPage();
    await signUpFromInvitation(bob, invitations[0]!.url, {
      name: "Bob Kahn",
      password: ada.password,
    });

    await page.goto(membersPage(slug));
    await page.waitForTimeout(2500);
    await page.getByRole("combobox", { name: "Role of Bob Kahn" }).selectOption("owner");
    await page
      .getByRole("dialog", { name: "Make Bob Kahn an owner?" })
      .getByRole("button", { name: "Make owner" })
      .click();
    const password = page.getByRole("dialog", { name: "Confirm your password" });
    await password.getByLabel("Password").fill(ada.password);
    await password.getByRole("button", { name: "Confirm" }).click();
    await page.getByText("Bob Kahn is now an owner.").waitFor();
    expect(await page.getByRole("combobox", { name: "Role of Bob Kahn" }).inputValue()).toBe(
      "owner",
    );
    await context.close();
    await bob.context().close();
  });
});
