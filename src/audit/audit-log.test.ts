import { describe, expect, it } from "vitest";
import {
  addMember,
  inviteByLink,
  newAddress,
  ownerWithOrganization,
  verifyEmail,
} from "../../test/support/invitations.js";
import {
  type Client,
  expectError,
  type Reply,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import { auditEventBatches } from "./audit.queries.js";
import type { StoredAuditEvent } from "./audit-chain.js";
import { toCsvLine } from "./audit-event.js";

const t = await startTestApp();

type AuditEvent = { id: string; action: string; actor: { id: string | null }; createdAt: string };
const EVENT_KEYS = "id action actor organizationId target ipAddress userAgent createdAt metadata";

async function expectStatus(request: Promise<Reply>, status: number): Promise<Reply> {
  const reply = await request;
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  return reply;
}

function signIn(client: Client, email: string, password: string) {
  return client.post("/auth/sign-in", { email, password });
}

/** Moves the clock on, so that the next action's events are strictly newer. */
function tick() {
  t.clock.advance(1000);
}

async function listAll(client: Client, path: string, query = "", headers = {}) {
  const reply = await expectStatus(client.get(`${path}?limit=200${query}`, headers), 200);
  expect(reply.body.nextCursor).toBeNull();
  return reply.body.items as AuditEvent[];
}

/** An organization with an owner, an admin and a member, and a history at distinct times. */
async function organizationWithHistory() {
  const owner = await ownerWithOrganization(t);
  tick();
  const admin = await addMember(t, owner, owner.org.id, "admin");
  tick();
  const member = await addMember(t, owner, owner.org.id, "member");
  tick();
  const renamedAt = t.clock.now().toISOString();
  await expectStatus(
    admin.client.patch(`/organizations/${owner.org.id}`, { name: "Renamed" }),
    200,
  );
  tick();
  const invitation = await inviteByLink(admin.client, owner.org.id, newAddress());
  tick();
  const path = `/organizations/${owner.org.id}/audit-events`;
  return { owner, admin, member, org: owner.org, path, renamedAt, invitation };
}

/** A minimal RFC 4180 reader (every record ends with CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let consumed = 0;
  for (const match of text.matchAll(/(?:"((?:[^"]|"")*)"|([^",\r\n]*))(,|\r\n)/gy)) {
    const [all, quoted, plain, end] = match;
    row.push(quoted === undefined ? (plain ?? "") : quoted.replace(/""/g, '"'));
    if (end === "\r\n") {
      rows.push(row);
      row = [];
    }
    consumed += all.length;
  }
  expect(consumed, "the whole text is well-formed CSV").toBe(text.length);
  return rows;
}

describe("GET /organizations/{org}/audit-events", () => {
  it("lists the organization's events newest first in the contract's shape", async () => {
    const { owner, admin, org, renamedAt, invitation } = await organizationWithHistory();
    const items = await listAll(owner.client, `/organizations/${org.slug}/audit-events`);

    expect(items[0]).toMatchObject({ action: "invitation.created", target: { id: invitation.id } });
    const times = items.map((e) => e.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    const ids = items.map((e) => e.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect([...new Set(items.map((e) => e.action))].sort().join(" ")).toBe(
      "invitation.accepted invitation.created member.added organization.created organization.updated",
    );
    for (const event of items) {
      expect(EVENT_KEYS.split(" ")).toEqual(expect.arrayContaining(Object.keys(event)));
      expect(event).toMatchObject({ organizationId: org.id, metadata: expect.any(Object) });
    }
    expect(items.find((e) => e.action === "organization.updated")).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-z]{26}$/),
      action: "organization.updated",
      actor: { type: "user", id: admin.user.id, email: admin.email },
      organizationId: org.id,
      target: { type: "organization", id: org.id },
      ipAddress: admin.client.ip,
      userAgent: admin.client.userAgent,
      createdAt: renamedAt,
      metadata: { changed: ["name"], name: "Renamed" },
    });
  });

  it("filters by action, by actor and by a time range from inclusive to exclusive", async () => {
    const { owner, admin, path, renamedAt } = await organizationWithHistory();
    const all = await listAll(owner.client, path);

    const invitations = await listAll(owner.client, path, "&action=invitation.created");
    expect(invitations).toEqual(all.filter((e) => e.action === "invitation.created"));
    expect(invitations).toHaveLength(3);
    const byAdmin = await listAll(owner.client, path, `&actorId=${admin.user.id}`);
    expect(byAdmin).toEqual(all.filter((e) => e.actor.id === admin.user.id));
    expect(byAdmin.map((e) => e.action)).toContain("organization.updated");
    const both = `&actorId=${admin.user.id}&action=invitation.created`;
    expect(await listAll(owner.client, path, both)).toHaveLength(1);

    const end = new Date(Date.parse(renamedAt) + 1000).toISOString();
    const range = await listAll(owner.client, path, `&from=${renamedAt}&to=${end}`);
    expect(range.map((e) => e.action)).toEqual(["organization.updated"]);
    const before = await listAll(owner.client, path, `&to=${renamedAt}`);
    expect(before).toEqual(all.filter((e) => e.createdAt < renamedAt));
    expect(before.length).toBeGreaterThan(0);
  });

  it("filters by the actor's email as a person types it: any letter case, spaces around, exact", async () => {
    const { owner, admin, member, path } = await organizationWithHistory();
    const all = await listAll(owner.client, path);
    const byAdmin = all.filter((e) => e.actor.id === admin.user.id);
    expect(byAdmin.map((e) => e.action).sort()).toEqual([
      "invitation.accepted",
      "invitation.created",
      "member.added",
      "organization.updated",
    ]);
    const typed = (email: string) => `&actorEmail=${encodeURIComponent(email)}`;
    for (const email of [admin.email, admin.email.toUpperCase(), ` ${admin.email}  `]) {
      expect(await listAll(owner.client, path, typed(email))).toEqual(byAdmin);
    }
    const both = `${typed(admin.email)}&action=organization.updated`;
    expect((await listAll(owner.client, path, both)).map((e) => e.action)).toEqual([
      "organization.updated",
    ]);
    // Exact: a part of the address, or another person's, finds nothing of the admin's.
    expect(await listAll(owner.client, path, typed(admin.email.slice(0, -1)))).toEqual([]);
    expect(await listAll(owner.client, path, typed(`x${admin.email}`))).toEqual([]);
    const byMember = await listAll(owner.client, path, typed(member.email.toUpperCase()));
    expect(byMember).toEqual(all.filter((e) => e.actor.id === member.user.id));
    expect(byMember.length).toBeGreaterThan(0);

    const exported = await expectStatus(
      owner.client.get(`${path}/export?format=jsonl${typed(admin.email.toUpperCase())}`),
      200,
    );
    const lines = exported.raw.body.trimEnd().split("\n");
    expect(lines.map((line: string) => JSON.parse(line))).toEqual(byAdmin);
    const csv = await expectStatus(
      owner.client.get(`${path}/export?format=csv${typed(admin.email.toUpperCase())}`),
      200,
    );
    expect(
      parseCsv(csv.raw.body)
        .slice(1)
        .map((row) => row[0]),
    ).toEqual(byAdmin.map((e) => e.id));

    // The account's own log: what it did itself, or what the owner did to it.
    const mine = await listAll(member.client, "/me/audit-events");
    const bySelf = await listAll(member.client, "/me/audit-events", typed(member.email));
    expect(bySelf).toEqual(mine.filter((e) => e.actor.id === member.user.id));
    expect(bySelf.length).toBeGreaterThan(0);
    const byOwner = await listAll(member.client, "/me/audit-events", typed(owner.email));
    expect(byOwner).toEqual(mine.filter((e) => e.actor.id === owner.user.id));
    const ownExport = await expectStatus(
      member.client.get(`/me/audit-events/export?format=jsonl${typed(member.email.toUpperCase())}`),
      200,
    );
    expect(ownExport.raw.body.trimEnd().split("\n")).toHaveLength(bySelf.length);
  });

  it("refuses an empty or overlong actorEmail with 400 invalid_request", async () => {
    const { client, org } = await ownerWithOrganization(t);
    const path = `/organizations/${org.id}/audit-events`;
    for (const query of ["actorEmail=", `actorEmail=${"a".repeat(250)}%40x.io`]) {
      for (const url of [path, `${path}/export`, "/me/audit-events", "/me/audit-events/export"]) {
        expectError(await client.get(`${url}?${query}`), 400, "invalid_request", `${url} ${query}`);
      }
    }
  });

  it("records an action taken with an API key with the key as actor, and filters by it", async () => {
    const { client, org, email } = await ownerWithOrganization(t);
    const key = await expectStatus(client.post("/me/api-keys", { name: "deploy" }), 201);
    const bearer = { authorization: `Bearer ${key.body.secret}` };
    const script = t.client();
    await expectStatus(script.patch(`/organizations/${org.id}`, { name: "Scripted" }, bearer), 200);
    const path = `/organizations/${org.id}/audit-events`;
    const items = await listAll(script, path, `&actorId=${key.body.apiKey.id}`, bearer);
    expect(items).toEqual([
      expect.objectContaining({
        action: "organization.updated",
        actor: { type: "api_key", id: key.body.apiKey.id, email },
      }),
    ]); // The key acts for its owner: their address finds what it did, with what they did.
    const byEmail = await listAll(script, path, `&actorEmail=${encodeURIComponent(email)}`, bearer);
    expect(byEmail.map((e) => e.actor.id)).toContain(key.body.apiKey.id);
  });

  it("refuses a from or to that is not an RFC 3339 time with 400 invalid_request", async () => {
    const { client, org } = await ownerWithOrganization(t);
    const path = `/organizations/${org.id}/audit-events`;
    const bad = ["from=yesterday", "to=2024-13-45T00:00:00Z", "from=1", "to=", "from=2024-01-01"];
    for (const query of [...bad, "from=2024-01-01T00:00:00" /* no offset */]) {
      for (const url of [path, `${path}/export`, "/me/audit-events", "/me/audit-events/export"]) {
        expectError(await client.get(`${url}?${query}`), 400, "invalid_request", `${url} ${query}`);
      }
    }
    const offset = encodeURIComponent("2024-01-01T02:00:00+02:00");
    expect((await expectStatus(client.get(`${path}?to=${offset}`), 200)).body.items).toEqual([]);
  });

  it("walks every event exactly once with limit and nextCursor", async () => {
    const { owner, path } = await organizationWithHistory();
    const all = await listAll(owner.client, path);
    const seen: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = await expectStatus(owner.client.get(`${path}${query}`), 200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor !== null && seen.length <= all.length);
    expect(seen).toEqual(all);
    expect(all.length).toBeGreaterThan(4);
  });

  it("accepts a limit from 1 to 200 and refuses anything else with 400 invalid_request", async () => {
    const { client } = await signUpUser(t);
    expect((await client.get("/me/audit-events?limit=1")).body.items).toHaveLength(1);
    await expectStatus(client.get("/me/audit-events?limit=200"), 200);
    for (const query of ["limit=0", "limit=201", "limit=abc", "limit=-1"]) {
      expectError(await client.get(`/me/audit-events?${query}`), 400, "invalid_request", query);
    }
  });

  it("is open to owners and admins, forbidden to members and hidden from outsiders, as is its export", async () => {
    const { owner, admin, member, path } = await organizationWithHistory();
    const outsider = await signUpUser(t);
    for (const url of [path, `${path}/export?format=jsonl`, `${path}/export?format=csv`]) {
      await expectStatus(owner.client.get(url), 200);
      await expectStatus(admin.client.get(url), 200);
      expectError(await member.client.get(url), 403, "forbidden", url);
      expectError(await outsider.client.get(url), 404, "not_found", url);
      expectError(await t.client().get(url), 401, "unauthenticated", url);
    }
  });
});

describe("GET /me/audit-events", () => {
  it("shows only events about the signed-in account, never another user's", async () => {
    const alice = await signUpUser(t);
    const bob = await signUpUser(t);
    tick();
    await expectStatus(signIn(t.client(), alice.email, "not-it-at-all"), 401);
    await expectStatus(signIn(t.client(), bob.email, bob.password), 200);
    await expectStatus(bob.client.patch("/me", { name: "Bobby" }), 200);

    const items = await listAll(alice.client, "/me/audit-events");
    expect(items[0]?.action).toBe("user.sign_in_failed");
    expect(items.map((e) => e.action).sort()).toEqual(
      ["member.added", "user.sign_in_failed", "user.signed_up"], // member of the personal org
    );
    const rows = await t.app.deps.db
      .selectFrom("audit_events")
      .select(["id", "subject_user_id"])
      .execute();
    const about = (userId: string) =>
      rows.filter((r) => r.subject_user_id === userId).map((r) => r.id);
    expect(items.map((e) => e.id).sort()).toEqual(about(alice.user.id).sort());
    const bobs = await listAll(bob.client, "/me/audit-events");
    expect(bobs.map((e) => e.id).sort()).toEqual(about(bob.user.id).sort());
    expect(bobs.map((e) => e.action)).toEqual(expect.arrayContaining(["user.updated"]));
  });

  it("omits the address and user agent of someone else who acted on the account, in the list and the export", async () => {
    const owner = await ownerWithOrganization(t);
    const member = await addMember(t, owner, owner.org.id, "member");
    const members = await owner.client.get(`/organizations/${owner.org.id}/members`);
    const memberId = members.body.items.find(
      (m: { user: { id: string } }) => m.user.id === member.user.id,
    ).id;
    tick();
    await expectStatus(
      owner.client.patch(`/organizations/${owner.org.id}/members/${memberId}`, { role: "admin" }),
      200,
    );

    type Shown = AuditEvent & { ipAddress?: string; userAgent?: string };
    const items = (await listAll(member.client, "/me/audit-events")) as Shown[];
    const changed = items.find((e) => e.action === "member.role_changed");
    expect(changed?.actor.id).toBe(owner.user.id);
    expect(changed).not.toHaveProperty("ipAddress");
    expect(changed).not.toHaveProperty("userAgent");
    // What the account did itself keeps its address: it is the reader's own.
    const accepted = items.find((e) => e.action === "invitation.accepted");
    expect(accepted).toMatchObject({
      ipAddress: member.client.ip,
      userAgent: member.client.userAgent,
    });

    const exported = await expectStatus(member.client.get("/me/audit-events/export"), 200);
    expect(exported.raw.body).not.toContain(owner.client.ip);
    expect(exported.raw.body).not.toContain(owner.client.userAgent);
    expect(exported.raw.body).toContain(member.client.ip);
    const csv = await expectStatus(member.client.get("/me/audit-events/export?format=csv"), 200);
    expect(csv.raw.body).not.toContain(owner.client.ip);

    // The organization's own log, for its owners and admins, still says where it came from.
    const orgItems = (await listAll(
      owner.client,
      `/organizations/${owner.org.id}/audit-events`,
      "&action=member.role_changed",
    )) as Shown[];
    expect(orgItems[0]).toMatchObject({
      ipAddress: owner.client.ip,
      userAgent: owner.client.userAgent,
    });
  });

  it("records no password, token, cookie or key secret in any event", async () => {
    const password = `orchid-lantern-${Date.now()}-77`;
    const user = await signUpUser(t, { password });
    const { email } = user;
    await t.flushMail();
    const secrets = [password, `${user.client.cookie}`, t.mailbox.tokenFor(email, "verify-email")];
    await verifyEmail(t, user);
    const [wrong, changed, reset] = ["wrong", "changed", "reset"].map(
      (s) => `${password}-${s}`,
    ) as [string, string, string];
    await expectStatus(signIn(t.client(), email, wrong), 401);
    const change = { currentPassword: password, newPassword: changed, revokeOtherSessions: false };
    await expectStatus(user.client.post("/me/password", change), 204);
    await expectStatus(user.client.post("/auth/password-reset", { email }), 202);
    await t.flushMail();
    const token = t.mailbox.tokenFor(email, "reset-password");
    const confirm = { token, password: reset };
    await expectStatus(t.client().post("/auth/password-reset/confirm", confirm), 204);
    const client = t.client();
    await expectStatus(signIn(client, email, reset), 200);
    const key = await expectStatus(client.post("/me/api-keys", { name: "ci" }), 201);
    const created = await expectStatus(client.post("/organizations", { name: "Secretive" }), 201);
    const invitation = await inviteByLink(client, created.body.id, newAddress());
    secrets.push(wrong, changed, reset, token, `${client.cookie}`);
    secrets.push(key.body.secret, invitation.token);

    const rows = await t.app.deps.db.selectFrom("audit_events").selectAll().execute();
    const stored = JSON.stringify(rows);
    const exported = (await expectStatus(client.get("/me/audit-events/export"), 200)).raw.body;
    expect(exported).toContain("user.password_reset");
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(16);
      expect(stored).not.toContain(secret);
      expect(exported).not.toContain(secret);
    }
  });
});

describe("GET …/audit-events/export", () => {
  it("streams the same events in the same order as JSON Lines, with the list's filters", async () => {
    const { owner, admin, path, renamedAt } = await organizationWithHistory();
    const filters = ["", `&actorId=${admin.user.id}`, "&action=member.added", `&from=${renamedAt}`];
    for (const query of filters) {
      const exported = owner.client.get(`${path}/export?format=jsonl${query}`);
      const reply = await expectStatus(exported, 200);
      expect(reply.headers["content-type"]).toMatch(/^application\/x-ndjson/);
      expect(reply.headers["content-disposition"]).toMatch(/^attachment/);
      const lines = reply.raw.body.split("\n");
      expect(lines.pop()).toBe("");
      const listed = await listAll(owner.client, path, query);
      expect(listed.length).toBeGreaterThan(0);
      expect(lines.map((line: string) => JSON.parse(line))).toEqual(listed);
    }
    const byDefault = await owner.client.get(`${path}/export`);
    expect(byDefault.headers["content-type"]).toMatch(/^application\/x-ndjson/);
    expectError(await owner.client.get(`${path}/export?format=xml`), 400, "invalid_request");
  });

  it("writes CSV with a header row, RFC 4180 quoting and spreadsheet formulas defused", async () => {
    const ua = '=HYPERLINK("http://evil.example","click, here")';
    const client = t.client({ userAgent: ua });
    const { user } = await signUpUser(t, { client, email: `=cmd+${Date.now()}@example.com` });
    const name = 'Acme, "Quoted" & Co';
    const created = await expectStatus(client.post("/organizations", { name }), 201);
    const path = `/organizations/${created.body.id}/audit-events`;

    const reply = await expectStatus(client.get(`${path}/export?format=csv`), 200);
    expect(reply.headers["content-type"]).toMatch(/^text\/csv/);
    expect(reply.raw.body).toContain(`"'=HYPERLINK(""http://evil.example"",""click, here"")"`);
    const [header, ...rows] = parseCsv(reply.raw.body);
    expect(header?.join(",")).toBe(
      "id,createdAt,action,actorType,actorId,actorEmail,organizationId,targetType,targetId,ipAddress,userAgent,metadata",
    );
    expect(rows.map((row) => row[0])).toEqual((await listAll(client, path)).map((e) => e.id));
    for (const row of rows) {
      expect(row).toHaveLength(12);
      expect(row.slice(4, 6)).toEqual([user.id, `'${user.email}`]);
      expect(row[10]).toBe(`'${ua}`);
    }
    const createdRow = rows.find((row) => row[2] === "organization.created");
    expect(JSON.parse(createdRow?.[11] ?? "")).toMatchObject({ name });
  });

  it("stores a user agent's control characters written out, so that exports print them as text", async () => {
    // C1 controls (CSI, OSC, NEL) reach Node as U+0080–U+009F from bytes 0x80–0x9F.
    const ua = "Agent\u0085\u009b31m\u009d0;pwned\u009c\u001b[2J\u007f";
    const written = "Agent\\x85\\x9b31m\\x9d0;pwned\\x9c\\x1b[2J\\x7f";
    const client = t.client({ userAgent: ua });
    await signUpUser(t, { client });
    const created = await expectStatus(client.post("/organizations", { name: "Controls" }), 201);
    const path = `/organizations/${created.body.id}/audit-events`;

    const sessions = await expectStatus(client.get("/me/sessions"), 200);
    expect(sessions.body.items[0].userAgent).toBe(written);
    const [event] = await listAll(client, path);
    expect(event).toMatchObject({ userAgent: written });
    const jsonl = await expectStatus(client.get(`${path}/export?format=jsonl`), 200);
    const exported = jsonl.raw.body.trimEnd().split("\n");
    expect(exported.map((line: string) => JSON.parse(line).userAgent)).toContain(written);
    const csv = await expectStatus(client.get(`${path}/export?format=csv`), 200);
    expect(csv.raw.body).toContain(written);
    for (const body of [jsonl.raw.body, csv.raw.body])
      expect(body.replace(/\r?\n/g, "")).not.toMatch(/\p{Cc}/u);
  });

  it("quotes a field holding a line break so that the record stays one row", () => {
    const row = { id: "evt_1", created_at: new Date(0), user_agent: "one\r\ntwo", metadata: {} };
    const line = toCsvLine(row as unknown as StoredAuditEvent);
    expect(line).toContain('"one\r\ntwo"');
    expect(parseCsv(line)).toEqual([
      ["evt_1", "1970-01-01T00:00:00.000Z", "", "", "", "", "", "", "", "", "one\r\ntwo", "{}"],
    ]);
  });

  it("reads the export in batches that together hold every event once, newest first", async () => {
    const { owner, org, path } = await organizationWithHistory();
    const listed = await listAll(owner.client, path);
    const batches: StoredAuditEvent[][] = [];
    const filter = { scope: { organizationId: org.id } };
    for await (const batch of auditEventBatches(t.app.deps.db, filter, 2)) batches.push(batch);
    expect(batches).toHaveLength(Math.ceil(listed.length / 2));
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(2);
    expect(batches.flat().map((row) => row.id)).toEqual(listed.map((e) => e.id));
  });
});
