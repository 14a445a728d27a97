import { describe, expect, it } from "vitest";
import {
  type Client,
  expectError,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";

const t = await startTestApp();

type Role = "owner" | "admin" | "member";
interface MemberItem {
  id: string;
  user: { id: string; email: string; name: string };
  role: Role;
  joinedAt: string;
}

let counter = 0;

/** A new account owning a new organization (besides its personal one). */
async function newOrganization() {
  const owner = await signUpUser(t);
  const reply = await owner.client.post("/organizations", { name: `Members ${++counter}` });
  expect(reply.status).toBe(201);
  return { owner, org: reply.body as { id: string; slug: string } };
}

/** Invites a new address by link and signs it up with the invitation: a new member. */
async function join(
  inviter: Client,
  orgId: string,
  role: Role,
  who: { name?: string; email?: string } = {},
) {
  counter++;
  const email = who.email ?? `joiner${counter}-${Date.now()}@example.com`;
  const name = who.name ?? `Joiner ${counter}`;
  const invited = await inviter.post(`/organizations/${orgId}/invitations`, {
    emails: [email],
    role,
    delivery: "link",
  });
  expect(invited.status).toBe(201);
  const token = String(invited.body.invitations[0].url).split("/invite/")[1];
  const client = t.client();
  // Members joining one after the other, as they do in life (ids sort by the millisecond).
  t.clock.advance(1_000);
  const reply = await client.post("/auth/sign-up", {
    email,
    name,
    password: STRONG_PASSWORD,
    invitationToken: token,
  });
  expect(reply.status).toBe(201);
  return { client, email, name, user: reply.body.user as { id: string } };
}

async function list(client: Client, orgRef: string, query = ""): Promise<MemberItem[]> {
  const reply = await client.get(`/organizations/${orgRef}/members${query}`);
  expect(reply.status, query).toBe(200);
  expect(reply.body.nextCursor, query).toBeNull();
  return reply.body.items;
}

const names = (items: MemberItem[]) => items.map((m) => m.user.name).sort();

describe("GET /organizations/{org}/members", () => {
  it("lists every member with its account, role and join time, to any member", async () => {
    const { owner, org } = await newOrganization();
    const admin = await join(owner.client, org.id, "admin", { name: "Alma Admin" });
    const member = await join(owner.client, org.id, "member", { name: "Milo Member" });

    for (const viewer of [owner.client, admin.client, member.client]) {
      const items = await list(viewer, org.id);
      expect(items).toEqual([
        {
          id: expect.stringMatching(/^mem_[0-9a-z]{26}$/),
          user: { id: owner.user.id, email: owner.email, name: owner.name },
          role: "owner",
          joinedAt: expect.any(String),
        },
        {
          id: expect.stringMatching(/^mem_/),
          user: { id: admin.user.id, email: admin.email, name: "Alma Admin" },
          role: "admin",
          joinedAt: expect.any(String),
        },
        {
          id: expect.stringMatching(/^mem_/),
          user: { id: member.user.id, email: member.email, name: "Milo Member" },
          role: "member",
          joinedAt: expect.any(String),
        },
      ]);
      for (const item of items) {
        expect(new Date(item.joinedAt).toISOString()).toBe(item.joinedAt);
      }
    }
    // {org} may also be the slug.
    expect((await list(member.client, org.slug)).map((m) => m.id)).toEqual(
      (await list(owner.client, org.id)).map((m) => m.id),
    );
  });

  it("answers a non-member 404 not_found, the same as for an organization that does not exist", async () => {
    const { org } = await newOrganization();
    const outsider = await signUpUser(t);
    expectError(await outsider.client.get(`/organizations/${org.id}/members`), 404, "not_found");
    expectError(await outsider.client.get(`/organizations/${org.slug}/members`), 404, "not_found");
    expectError(
      await outsider.client.get("/organizations/org_00000000000000000000000000/members"),
      404,
      "not_found",
    );
    expectError(await t.client().get(`/organizations/${org.id}/members`), 401, "unauthenticated");
  });

  it("matches q against part of the name or the email, in any letter case", async () => {
    const { owner, org } = await newOrganization();
    await join(owner.client, org.id, "member", { name: "Ada Lovelace" });
    await join(owner.client, org.id, "member", {
      name: "Grace Hopper",
      email: `Compiler.Queen.${Date.now()}@navy.example.org`,
    });
    await join(owner.client, org.id, "admin", { name: "Alan Turing" });

    expect(names(await list(owner.client, org.id, "?q=LOVEL"))).toEqual(["Ada Lovelace"]);
    expect(names(await list(owner.client, org.id, "?q=ace"))).toEqual([
      "Ada Lovelace",
      "Grace Hopper",
    ]);
    // Part of the email only, typed in another case than stored.
    expect(names(await list(owner.client, org.id, "?q=queen.1"))).toEqual(["Grace Hopper"]);
    expect(names(await list(owner.client, org.id, "?q=NAVY.EXAMPLE"))).toEqual(["Grace Hopper"]);
    expect(await list(owner.client, org.id, "?q=nobody-by-that-name")).toEqual([]);
    // Combined with a role filter.
    expect(names(await list(owner.client, org.id, "?q=a&role=admin"))).toEqual(["Alan Turing"]);
  });

  it("finds a member under a new name or email as soon as it changes, and no longer under the old", async () => {
    const { owner, org } = await newOrganization();
    const member = await join(owner.client, org.id, "member", { name: "Mary Somerville" });
    const other = await newOrganization();
    await join(other.owner.client, other.org.id, "member", { name: "Emmy Noether" });

    expect((await member.client.patch("/me", { name: "Mary Fairfax" })).status).toBe(200);
    expect(names(await list(owner.client, org.id, "?q=fairfax"))).toEqual(["Mary Fairfax"]);
    expect(await list(owner.client, org.id, "?q=somerville")).toEqual([]);

    const newEmail = `polymath.${Date.now()}@sciences.example.org`;
    expect((await member.client.post("/me/email", { newEmail })).status).toBe(202);
    await t.flushMail();
    const token = t.mailbox.tokenFor(newEmail, "verify-email");
    expect((await t.client().post("/auth/verify-email", { token })).status).toBe(204);
    expect(names(await list(owner.client, org.id, "?q=POLYMATH"))).toEqual(["Mary Fairfax"]);
    expect(await list(owner.client, org.id, `?q=${encodeURIComponent(member.email)}`)).toEqual([]);
    // Only this organization's members are searched.
    expect(await list(owner.client, org.id, "?q=noether")).toEqual([]);
    expect(names(await list(other.owner.client, other.org.id, "?q=noether"))).toEqual([
      "Emmy Noether",
    ]);
  });

  it("treats % and _ in q as the characters themselves, not as wildcards", async () => {
    const { owner, org } = await newOrganization();
    await join(owner.client, org.id, "member", { name: "Sure 100% Yes" });
    await join(owner.client, org.id, "member", { name: "Sure 1000 Yes" });
    await join(owner.client, org.id, "member", { name: "snake_case fan" });
    await join(owner.client, org.id, "member", { name: "snakeXcase fan" });
    await join(owner.client, org.id, "member", { name: "back\\slash" });

    expect(names(await list(owner.client, org.id, `?q=${encodeURIComponent("100%")}`))).toEqual([
      "Sure 100% Yes",
    ]);
    expect(names(await list(owner.client, org.id, `?q=${encodeURIComponent("%")}`))).toEqual([
      "Sure 100% Yes",
    ]);
    expect(names(await list(owner.client, org.id, "?q=snake_case"))).toEqual(["snake_case fan"]);
    expect(names(await list(owner.client, org.id, "?q=e_c"))).toEqual(["snake_case fan"]);
    expect(names(await list(owner.client, org.id, `?q=${encodeURIComponent("k\\s")}`))).toEqual([
      "back\\slash",
    ]);
  });

  it("filters by role and refuses a role that does not exist", async () => {
    const { owner, org } = await newOrganization();
    const admin = await join(owner.client, org.id, "admin");
    const first = await join(owner.client, org.id, "member");
    const second = await join(owner.client, org.id, "member");

    const ids = async (role: string) =>
      (await list(admin.client, org.id, `?role=${role}`)).map((m) => m.user.id);
    expect(await ids("owner")).toEqual([owner.user.id]);
    expect(await ids("admin")).toEqual([admin.user.id]);
    expect(await ids("member")).toEqual([first.user.id, second.user.id]);

    for (const query of ["role=superuser", "role=Owner", "role=", "role=admin&role=member"]) {
      expectError(
        await admin.client.get(`/organizations/${org.id}/members?${query}`),
        400,
        "invalid_request",
        query,
      );
    }
  });

  it("walks every member exactly once in join order with limit=2 and nextCursor", async () => {
    const { owner, org } = await newOrganization();
    const joined = [owner.user.id];
    for (let i = 0; i < 4; i++) joined.push((await join(owner.client, org.id, "member")).user.id);

    const seen: MemberItem[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const page = await owner.client.get(`/organizations/${org.id}/members${query}`);
      expect(page.status).toBe(200);
      sizes.push(page.body.items.length);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor !== null && sizes.length < 10);

    expect(sizes).toEqual([2, 2, 1]);
    expect(seen.map((m) => m.user.id)).toEqual(joined);
    expect(new Set(seen.map((m) => m.id)).size).toBe(5);
    const times = seen.map((m) => Date.parse(m.joinedAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("gives nextCursor null on a last page that is exactly full", async () => {
    const { owner, org } = await newOrganization();
    await join(owner.client, org.id, "member");

    const first = await owner.client.get(`/organizations/${org.id}/members?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toBeNull();

    const one = await owner.client.get(`/organizations/${org.id}/members?limit=1`);
    expect(one.body.items).toHaveLength(1);
    const rest = await owner.client.get(
      `/organizations/${org.id}/members?limit=1&cursor=${encodeURIComponent(one.body.nextCursor)}`,
    );
    expect(rest.status).toBe(200);
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.items[0].id).not.toBe(one.body.items[0].id);
    expect(rest.body.nextCursor).toBeNull();
  });

  it("accepts limits from 1 to 200 and refuses 0, 201 and anything that is not a number", async () => {
    const { owner, org } = await newOrganization();
    for (const limit of ["1", "200"]) {
      const reply = await owner.client.get(`/organizations/${org.id}/members?limit=${limit}`);
      expect(reply.status, limit).toBe(200);
      expect(reply.body.items).toHaveLength(1);
    }
    for (const query of ["limit=0", "limit=201", "limit=-1", "limit=abc", "limit=1&limit=2"]) {
      expectError(
        await owner.client.get(`/organizations/${org.id}/members?${query}`),
        400,
        "invalid_request",
        query,
      );
    }
  });
});
