import { describe, expect, it } from "vitest";
import {
  invitationRows,
  invite,
  newAddress,
  ownerWithOrganization,
  tokenOf,
  verifyEmail,
} from "../../test/support/invitations.js";
import {
  expectError,
  type Reply,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import { plainName } from "../mail/templates.js";

const t = await startTestApp();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let counter = 0;

function addresses(n: number): string[] {
  counter++;
  return Array.from({ length: n }, (_, i) => `bulk${counter}-${i}@example.com`);
}

function retryAfter(reply: Reply): number {
  return Number(reply.headers["retry-after"]);
}

/** An admin who joined by signing up with a link invitation: a member whose email is not verified. */
async function unverifiedAdmin(owner: Awaited<ReturnType<typeof ownerWithOrganization>>) {
  const email = newAddress();
  const invited = await invite(owner.client, owner.org.id, [email], { role: "admin" });
  expect(invited.status).toBe(201);
  const client = t.client();
  const signedUp = await client.post("/auth/sign-up", {
    email,
    name: "Una Unverified",
    password: STRONG_PASSWORD,
    invitationToken: tokenOf(invited.body.invitations[0].url),
  });
  expect(signedUp.status).toBe(201);
  expect(signedUp.body.user.emailVerified).toBe(false);
  return { client, email };
}

/** A verified account made admin of the organization (joined through a link it accepted). */
async function verifiedAdmin(owner: Awaited<ReturnType<typeof ownerWithOrganization>>) {
  const user = await signUpUser(t);
  await verifyEmail(t, user);
  const invited = await invite(owner.client, owner.org.id, [user.email], { role: "admin" });
  const accepted = await user.client.post(
    `/invitations/${tokenOf(invited.body.invitations[0].url)}/accept`,
  );
  expect(accepted.status).toBe(200);
  return user;
}

describe("inviting by email needs a verified inviter", () => {
  it("refuses email delivery and email resends with 403 email_not_verified, and allows links", async () => {
    const owner = await ownerWithOrganization(t);
    const email = newAddress();
    expectError(
      await invite(owner.client, owner.org.id, [email], { delivery: "email" }),
      403,
      "email_not_verified",
    );
    const byLink = await invite(owner.client, owner.org.id, [email], { delivery: "link" });
    expect(byLink.status).toBe(201);
    expect(byLink.body.invitations).toHaveLength(1);

    // A verified owner's emailed invitation cannot be resent by an unverified admin either.
    const verified = await ownerWithOrganization(t, { verified: true });
    const emailed = await invite(verified.client, verified.org.id, [newAddress()], {
      delivery: "email",
    });
    expect(emailed.status).toBe(201);
    const admin = await unverifiedAdmin(verified);
    const path = `/organizations/${verified.org.id}/invitations/${emailed.body.invitations[0].id}/resend`;
    expectError(await admin.client.post(path), 403, "email_not_verified");
    expectError(
      await invite(admin.client, verified.org.id, [newAddress()], { delivery: "email" }),
      403,
      "email_not_verified",
    );
    expect((await invite(admin.client, verified.org.id, [newAddress()])).status).toBe(201);

    await t.flushMail();
    expect(t.mailbox.to(email)).toEqual([]);
    expect(await invitationRows(t, owner.org.id)).toHaveLength(1);
  });
});

describe("invitation budgets", () => {
  it("lets one inviter send 100 invitations an hour: what does not fit is rejected, then 429 with Retry-After", async () => {
    const owner = await ownerWithOrganization(t);
    expect((await invite(owner.client, owner.org.id, addresses(70))).status).toBe(201);

    const partial = await invite(owner.client, owner.org.id, addresses(50));
    expect(partial.status).toBe(201);
    expect(partial.body.invitations).toHaveLength(30);
    expect(partial.body.rejected).toHaveLength(20);
    for (const rejected of partial.body.rejected) expect(rejected.code).toBe("rate_limited");

    const refused = await invite(owner.client, owner.org.id, [newAddress()]);
    expectError(refused, 429, "rate_limited");
    expect(retryAfter(refused)).toBeGreaterThan(HOUR / 1000 - 60);
    expect(retryAfter(refused)).toBeLessThanOrEqual(HOUR / 1000);
    // Invalid or duplicate addresses cost nothing and are still told apart.
    const invalid = await invite(owner.client, owner.org.id, ["not-an-email"]);
    expect(invalid.status).toBe(201);
    expect(invalid.body.rejected).toEqual([{ email: "not-an-email", code: "invalid_email" }]);
    expect(await invitationRows(t, owner.org.id)).toHaveLength(100);

    t.clock.advance(HOUR);
    expect((await invite(owner.client, owner.org.id, [newAddress()])).status).toBe(201);
  });

  it("lets one inviter send 500 invitations a day", async () => {
    const owner = await ownerWithOrganization(t);
    for (let hour = 0; hour < 5; hour++) {
      const reply = await invite(owner.client, owner.org.id, addresses(100));
      expect(reply.body.invitations, JSON.stringify(reply.body.rejected[0])).toHaveLength(100);
      t.clock.advance(HOUR);
    }
    const refused = await invite(owner.client, owner.org.id, [newAddress()]);
    expectError(refused, 429, "rate_limited");
    // The day began with the first invitation, five hours ago.
    expect(retryAfter(refused)).toBe((DAY - 5 * HOUR) / 1000);
    // The budget is the inviter's: in another organization they are refused too.
    const elsewhere = await owner.client.post("/organizations", { name: "Second Corp" });
    expectError(await invite(owner.client, elsewhere.body.id, [newAddress()]), 429, "rate_limited");
    t.clock.advance(DAY - 5 * HOUR);
    expect((await invite(owner.client, owner.org.id, [newAddress()])).status).toBe(201);
  });

  it("lets one organization send 200 invitations an hour and 1,000 a day, whoever sends them", async () => {
    const owner = await ownerWithOrganization(t);
    const admins = [await verifiedAdmin(owner), await verifiedAdmin(owner)];
    const third = await verifiedAdmin(owner);
    // Joining the admins took three of the hour's invitations.
    const first = await invite(admins[0]!.client, owner.org.id, addresses(100));
    expect(first.body.invitations).toHaveLength(100);
    const second = await invite(admins[1]!.client, owner.org.id, addresses(100));
    expect(second.body.invitations).toHaveLength(97);
    expect(second.body.rejected).toHaveLength(3);
    expectError(await invite(third.client, owner.org.id, [newAddress()]), 429, "rate_limited");

    // Four more hours of 200 make 1,000 in the day (each admin within their own 500).
    for (let hour = 1; hour <= 4; hour++) {
      t.clock.advance(HOUR);
      for (const admin of admins) {
        const reply = await invite(admin.client, owner.org.id, addresses(100));
        expect(reply.body.invitations).toHaveLength(100);
      }
    }
    t.clock.advance(HOUR);
    const refused = await invite(third.client, owner.org.id, [newAddress()]);
    expectError(refused, 429, "rate_limited");
    expect(retryAfter(refused)).toBeGreaterThan((18 * HOUR) / 1000);
    // Another organization of the same inviter has its own budget.
    const own = await third.client.post("/organizations", { name: "Third's Corp" });
    expect((await invite(third.client, own.body.id, [newAddress()])).status).toBe(201);
  });
});

describe("invitation emails to one address", () => {
  it("go out at most three times a day from the whole instance; the fourth is rejected for that address", async () => {
    const target = newAddress();
    const owners = [];
    for (let i = 0; i < 4; i++) owners.push(await ownerWithOrganization(t, { verified: true }));
    for (const owner of owners.slice(0, 3)) {
      const reply = await invite(owner.client, owner.org.id, [target], { delivery: "email" });
      expect(reply.body.invitations).toHaveLength(1);
    }
    const other = newAddress();
    const fourth = await invite(owners[3]!.client, owners[3]!.org.id, [target, other], {
      delivery: "email",
    });
    expect(fourth.status).toBe(201);
    expect(fourth.body.rejected).toEqual([{ email: target, code: "rate_limited" }]);
    expect(fourth.body.invitations.map((i: { email: string }) => i.email)).toEqual([other]);
    await t.flushMail();
    expect(t.mailbox.to(target)).toHaveLength(3);

    // A link is handed over by the inviter, not sent by the instance: not limited per address.
    const byLink = await invite(owners[3]!.client, owners[3]!.org.id, [target]);
    expect(byLink.body.invitations).toHaveLength(1);

    t.clock.advance(DAY);
    const fifth = await ownerWithOrganization(t, { verified: true });
    const nextDay = await invite(fifth.client, fifth.org.id, [target], { delivery: "email" });
    expect(nextDay.body.invitations).toHaveLength(1);
  });
});

describe("POST /organizations/{org}/invitations/{id}/resend", () => {
  it("resends once at once, then only after a delay that doubles, and within the address's daily share", async () => {
    const owner = await ownerWithOrganization(t, { verified: true });
    const email = newAddress();
    const created = await invite(owner.client, owner.org.id, [email], { delivery: "email" });
    const path = `/organizations/${owner.org.id}/invitations/${created.body.invitations[0].id}/resend`;

    expect((await owner.client.post(path)).status).toBe(202);
    const tooSoon = await owner.client.post(path);
    expectError(tooSoon, 429, "rate_limited");
    expect(retryAfter(tooSoon)).toBe(60);
    t.clock.advance(MINUTE);
    expect((await owner.client.post(path)).status).toBe(202);
    const again = await owner.client.post(path);
    expectError(again, 429, "rate_limited");
    expect(retryAfter(again)).toBe(120);

    // Three emails went to the address today: the next resend waits for tomorrow.
    t.clock.advance(2 * MINUTE);
    const capped = await owner.client.post(path);
    expectError(capped, 429, "rate_limited");
    expect(retryAfter(capped)).toBe((DAY - 3 * MINUTE) / 1000);
    await t.flushMail();
    expect(t.mailbox.to(email)).toHaveLength(3);
  });

  it("resends a link invitation without a delay", async () => {
    const owner = await ownerWithOrganization(t);
    const created = await invite(owner.client, owner.org.id, [newAddress()]);
    const path = `/organizations/${owner.org.id}/invitations/${created.body.invitations[0].id}/resend`;
    for (let i = 0; i < 5; i++) expect((await owner.client.post(path)).status).toBe(202);
  });
});

describe("names in invitation emails", () => {
  it("never arrive as links, in the text or the HTML part", async () => {
    const owner = await signUpUser(t, { name: "Win at https://evil.example.com/prize" });
    await verifyEmail(t, owner);
    const org = await owner.client.post("/organizations", { name: "claim-now.evil.example" });
    expect(org.status).toBe(201);
    const email = newAddress();
    expect((await invite(owner.client, org.body.id, [email], { delivery: "email" })).status).toBe(
      201,
    );
    await t.flushMail();
    const [message] = t.mailbox.to(email);
    for (const part of [message!.text, message!.html]) {
      expect(part).not.toContain("https://evil");
      expect(part).not.toContain("evil.example");
      expect(part).toContain("Win at https[://]evil[.]example[.]com/prize");
      expect(part).toContain("claim-now[.]evil[.]example");
    }
    // The only link is the invitation's own.
    const hrefs = [...message!.html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual([`http://atrium.test/invite/${t.mailbox.tokenFor(email, "invite")}`]);
  });

  it("keep ordinary punctuation as it is", () => {
    expect(plainName("J. R. R. Tolkien")).toBe("J. R. R. Tolkien");
    expect(plainName("Acme Inc.")).toBe("Acme Inc.");
    expect(plainName("ftp://a.b")).toBe("ftp[://]a[.]b");
    expect(plainName("bob@evil.io")).toBe("bob@evil[.]io");
    expect(plainName("evil\uFF0Ecom")).toBe("evil[.]com");
  });
});
