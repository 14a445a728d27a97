import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  cliEnvironment,
  type Env,
  queryDatabase,
  type RunningServer,
  runAtrium,
  serverRequest,
  startServer,
} from "../../test/support/cli.js";

// The real `atrium` command (dist/cli/atrium.js) in child processes, on a database of this
// file's own. On the embedded database a running server holds the data folder, so commands
// given then are carried out by the server (over its control socket); on PostgreSQL they
// open the database themselves alongside it.
const onPostgres = Boolean(process.env.DATABASE_URL);
const PASSWORD = "violet-kettle-harbour-42";
const ALICE = "Alice.Ops@ops.example";
const BOB = "bob@ops.example";
const CAROL = "carol@other.example";

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const cli = await cliEnvironment();
const env: Env = cli.env;
afterAll(() => cli.cleanup());
const atrium = (...args: string[]) => runAtrium(args, env);
const json = async (...args: string[]) => {
  const result = await atrium(...args, "--json");
  return { ...result, body: JSON.parse(result.stdout) };
};

let server: RunningServer | undefined;
const up = async () => {
  server = await startServer(env);
  return server;
};
const down = async () => {
  expect(await server?.stop()).toBe(0);
  server = undefined;
};
const signIn = (email: string) =>
  serverRequest(server!, "POST", "/auth/sign-in", { body: { email, password: PASSWORD } });
const me = (cookie: string | undefined) => serverRequest(server!, "GET", "/me", { cookie });

const sql = <T>(query: string, params: unknown[] = []) => queryDatabase<T>(env, query, params);
const jsonLines = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line));

const emails = (answer: { body: { items: Array<{ email: string }> } }) =>
  answer.body.items.map((account) => account.email);
const fixtures = { opsTeamId: "", aliceCookies: [] as string[], apiKey: "" };

describe("usage", () => {
  it.each([
    "users list",
    "users show",
    "users disable",
    "users enable",
    "sessions revoke",
    "audit verify",
    "audit heads",
    "audit export",
  ])("explains %s with --help and exits 0", async (command) => {
    const result = await atrium(...command.split(" "), "--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: atrium ${command}`);
  });

  it("names an unknown subcommand and exits 2 with the usage", async () => {
    for (const command of ["users delete", "audit purge", "sessions list"]) {
      const result = await atrium(...command.split(" "));
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`unknown command "${command}"`);
      expect(result.stderr).toContain("Usage: atrium <command>");
    }
    const bare = await atrium("audit");
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain("Usage: atrium audit verify");
    expect(bare.stdout).toContain("Usage: atrium audit export");
  });

  it("refuses missing arguments and unknown options with exit 2 and the command's usage", async () => {
    for (const args of [
      ["users", "show"],
      ["users", "disable", "a@b.example", "c@d.example"],
      ["sessions", "revoke"],
      ["users", "list", "--limit", "0"],
      ["users", "list", "--frobnicate"],
      ["audit", "export", "--format", "xml"],
    ]) {
      const result = await atrium(...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(`Usage: atrium ${args[0]} ${args[1]}`);
    }
    expect((await atrium("audit", "export", "--format", "xml")).stderr).toContain(
      "--format must be jsonl or csv",
    );
  });
});

describe("on a database no server holds", () => {
  beforeAll(async () => {
    // Accounts, organizations, sessions and a key, made the way people make them.
    await up();
    const post = (path: string, body: unknown, cookie?: string) =>
      serverRequest(server!, "POST", path, { body, cookie }).then((answer) => {
        expect(answer.status, path).toBeLessThan(300);
        return answer;
      });
    const signUp = (email: string, name: string) =>
      post("/auth/sign-up", { email, password: PASSWORD, name });
    const alice = await signUp(ALICE, "Alice Operator");
    const org = await post("/organizations", { name: "Ops Team", slug: "ops-team" }, alice.cookie);
    fixtures.opsTeamId = org.body.id;
    fixtures.apiKey = (await post("/me/api-keys", { name: "deploy" }, alice.cookie)).body.secret;
    fixtures.aliceCookies = [alice.cookie!, (await signIn(ALICE)).cookie!];
    const bob = await signUp(BOB, "Bob Builder");
    await post("/organizations", { name: "Bob Works", slug: "bob-works" }, bob.cookie);
    await signUp(CAROL, "Carol 100% Real");
    await down();
  });

  it("users list prints a table of every account, oldest first", async () => {
    const result = await atrium("users", "list");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^id\s+email\s+name\s+emailVerified\s+disabled\s+createdAt$/);
    expect(lines).toHaveLength(4);
    [ALICE, BOB, CAROL].forEach((email, i) => {
      expect(lines[i + 1]).toMatch(new RegExp(`^usr_\\S+\\s+${email.replace(/\./g, "\\.")}\\s`));
      expect(lines[i + 1]).toMatch(/\sfalse\s+false\s+\d{4}-\d\d-\d\dT/);
    });
  });

  it("users list --json lists the accounts, and --search, --limit and --after narrow it", async () => {
    const all = await json("users", "list");
    expect(all.code).toBe(0);
    expect(emails(all)).toEqual([ALICE, BOB, CAROL]);
    expect(all.body.items[0]).toEqual({
      id: expect.stringMatching(/^usr_/),
      email: ALICE,
      name: "Alice Operator",
      emailVerified: false,
      hasPassword: true,
      disabled: false,
      createdAt: expect.stringMatching(/Z$/),
    });
    const byEmail = await json("users", "list", "--search", "OPS.EXAMPLE");
    expect(emails(byEmail)).toEqual([ALICE, BOB]);
    const byName = await json("users", "list", "--search", "builder");
    expect(emails(byName)).toEqual([BOB]);
    // A wildcard character is matched literally, not as a pattern.
    const literal = await json("users", "list", "--search", "%");
    expect(emails(literal)).toEqual([CAROL]);
    const none = await atrium("users", "list", "--search", "nobody-at-all");
    expect([none.code, none.stdout.trim()]).toEqual([0, "No accounts."]);
    const first = await json("users", "list", "--limit", "1");
    expect(first.body.items).toHaveLength(1);
    const rest = await json("users", "list", "--after", first.body.items[0].id);
    expect(emails(rest)).toEqual([BOB, CAROL]);
  });

  it("users show describes an account's organizations, sessions and keys, by any letter case", async () => {
    const text = await atrium("users", "show", ALICE.toUpperCase());
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^email:\s+Alice\.Ops@ops\.example$/m);
    expect(text.stdout).toMatch(/^disabled:\s+false$/m);
    expect(text.stdout).toMatch(/^sessions:\s+2$/m);
    expect(text.stdout).toMatch(/^apiKeys:\s+1$/m);
    expect(text.stdout).toContain(`  ops-team (${fixtures.opsTeamId}) — owner`);
    const shown = await json("users", "show", ALICE);
    expect(shown.code).toBe(0);
    expect(shown.body).toMatchObject({ email: ALICE, disabled: false, sessions: 2, apiKeys: 1 });
    expect(shown.body.organizations).toContainEqual({
      id: fixtures.opsTeamId,
      slug: "ops-team",
      name: "Ops Team",
      role: "owner",
    });
  });

  it("users show answers exit 3 for an unknown email and exit 2 for a malformed one", async () => {
    const unknown = await atrium("users", "show", "nobody@ops.example");
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain(
      "No account has the email address nobody@ops.example. (not_found)",
    );
    const unknownJson = await json("users", "show", "nobody@ops.example");
    expect(unknownJson.code).toBe(3);
    expect(unknownJson.body.error).toMatchObject({ code: "not_found" });
    for (const args of [
      ["users", "disable", "nobody@ops.example"],
      ["sessions", "revoke", "--user", "nobody@ops.example"],
    ])
      expect((await atrium(...args)).code).toBe(3);
    const malformed = await atrium("users", "show", "not-an-email");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("(invalid_request)");
  });

  it("audit verify finds every chain intact on a healthy database", async () => {
    const result = await atrium("audit", "verify");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Checked [1-9]\d* event\(s\) in [1-9]\d* chain\(s\)\.$/m);
    expect(result.stdout).toContain("Every chain is intact.");
    const one = await json("audit", "verify", "--org", "ops-team");
    expect(one.body).toMatchObject({ ok: true, chains: 1, broken: [] });
    const missing = await atrium("audit", "verify", "--org", "no-such-org");
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("(not_found)");
  });

  it("audit heads prints the last event and hash of every chain, to keep outside the database", async () => {
    const heads = await json("audit", "heads");
    expect(heads.code).toBe(0);
    const items = heads.body.items as Array<Record<string, unknown>>;
    expect(items).toHaveLength((await json("audit", "verify")).body.chains);
    const [last] = await sql<{ id: string; seq: number; hash: string }>(
      "SELECT id, seq, hash FROM audit_events WHERE chain_key = $1 ORDER BY seq DESC LIMIT 1",
      [fixtures.opsTeamId],
    );
    expect(items.find((h) => h.chainKey === fixtures.opsTeamId)).toMatchObject({
      kind: "organization",
      organization: { id: fixtures.opsTeamId, slug: "ops-team" },
      seq: Number(last!.seq),
      eventId: last!.id,
      hash: last!.hash,
      algorithm: "sha256",
    });
    const table = await atrium("audit", "heads");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^chain\s+seq\s+eventId\s+createdAt\s+algorithm\s+hash$/m);
    expect(table.stdout).toContain(last!.hash);

    // Saved, they are checked by audit verify --heads: intact, then a head that does not match.
    const saved = join(env.ATRIUM_DATA_DIR!, "..", "heads.json");
    writeFileSync(saved, heads.stdout);
    const checked = await atrium("audit", "verify", "--heads", saved);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain(`Checked ${items.length} saved head(s).`);
    const forged = items.map((h) =>
      h.chainKey === fixtures.opsTeamId ? { ...h, hash: "f".repeat(64) } : h,
    );
    writeFileSync(saved, JSON.stringify({ items: forged }));
    const mismatch = await json("audit", "verify", "--heads", saved);
    expect(mismatch.code).toBe(1);
    expect(mismatch.body.broken).toEqual([
      expect.objectContaining({ chainKey: fixtures.opsTeamId, seq: Number(last!.seq) }),
    ]);
    writeFileSync(saved, "not json");
    const unreadable = await atrium("audit", "verify", "--heads", saved);
    expect([unreadable.code, unreadable.stdout]).toEqual([2, ""]);
    expect(unreadable.stderr).toContain("--heads");
  });

  it("audit export writes every event as JSON Lines, newest first, or as CSV", async () => {
    const total = (await json("audit", "verify")).body.events as number;
    const result = await atrium("audit", "export");
    expect(result.code).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events).toHaveLength(total);
    const times = events.map((event) => event.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        "user.signed_up",
        "organization.created",
        "api_key.created",
        "user.signed_in",
      ]),
    );
    for (const event of events) expect(event.id).toMatch(/^evt_/);

    const csv = await atrium("audit", "export", "--format", "csv");
    expect(csv.code).toBe(0);
    const rows = csv.stdout.split("\r\n").filter(Boolean);
    expect(rows[0]).toBe(
      "id,createdAt,action,actorType,actorId,actorEmail,organizationId,targetType,targetId,ipAddress,userAgent,metadata",
    );
    expect(rows.slice(1).map((row) => row.split(",")[0])).toEqual(events.map((e) => e.id));
  });

  it("audit export --org keeps one organization's events, and refuses bad filters", async () => {
    const result = await atrium("audit", "export", "--org", "ops-team");
    expect(result.code).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events.length).toBe((await json("audit", "verify", "--org", "ops-team")).body.events);
    for (const event of events) expect(event.organizationId).toBe(fixtures.opsTeamId);
    const signUps = await atrium("audit", "export", "--action", "user.signed_up", "--format=csv");
    expect(signUps.stdout.split("\r\n").filter(Boolean)).toHaveLength(4); // header + 3 accounts
    const badTime = await atrium("audit", "export", "--from", "yesterday");
    expect([badTime.code, badTime.stdout]).toEqual([2, ""]);
    expect(badTime.stderr).toContain("(invalid_request)");
    expect((await atrium("audit", "export", "--org", "no-such-org")).code).toBe(3);
  });
});

describe("while atrium serve runs on the same database", () => {
  beforeAll(up);

  it("users disable stops sign-in, ends the account's sessions and keys at once, and enable restores sign-in but no key", async () => {
    for (const cookie of fixtures.aliceCookies) expect((await me(cookie)).status).toBe(200);
    const disabled = await atrium("users", "disable", ALICE);
    expect(disabled.code).toBe(0);
    expect(disabled.stdout.trim()).toBe(
      `Disabled ${ALICE}; 2 session(s) ended, 1 API key(s) revoked.`,
    );
    for (const cookie of fixtures.aliceCookies) {
      const answer = await me(cookie);
      expect([answer.status, answer.body.error.code]).toEqual([401, "unauthenticated"]);
    }
    const keyed = await serverRequest(server!, "GET", "/me", { apiKey: fixtures.apiKey });
    expect([keyed.status, keyed.body.error.code]).toEqual([401, "unauthenticated"]);
    const refused = await signIn(ALICE);
    expect([refused.status, refused.body.error.code]).toEqual([401, "invalid_credentials"]);
    const shown = await json("users", "show", ALICE);
    expect(shown.body).toMatchObject({ disabled: true, sessions: 0 });
    // Errors come back through the server the same way: an unknown account is exit 3.
    expect((await atrium("users", "enable", "nobody@ops.example")).code).toBe(3);
    if (!onPostgres) expect(existsSync(join(env.ATRIUM_DATA_DIR!, "atrium.sock"))).toBe(true);

    const enabled = await atrium("users", "enable", ALICE);
    expect([enabled.code, enabled.stdout.trim()]).toEqual([0, `Enabled ${ALICE}.`]);
    const back = await signIn(ALICE);
    expect(back.status).toBe(200);
    expect((await me(back.cookie)).body.email).toBe(ALICE);
    // Enabling lets the account sign in again; the sessions and keys it had stay ended.
    expect((await me(fixtures.aliceCookies[0])).status).toBe(401);
    const keyAfter = await serverRequest(server!, "GET", "/me", { apiKey: fixtures.apiKey });
    expect([keyAfter.status, keyAfter.body.error.code]).toEqual([401, "unauthenticated"]);
    expect((await json("users", "show", ALICE)).body).toMatchObject({
      disabled: false,
      apiKeys: 0,
    });
  });

  it("sessions revoke --user signs the account out on every device", async () => {
    const cookies = [(await signIn(BOB)).cookie, (await signIn(BOB)).cookie];
    for (const cookie of cookies) expect((await me(cookie)).status).toBe(200);
    const result = await atrium("sessions", "revoke", "--user", BOB);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(
      new RegExp(`^Ended [2-9]\\d* session\\(s\\) of ${BOB}\\.$`),
    );
    for (const cookie of cookies) {
      const answer = await me(cookie);
      expect([answer.status, answer.body.error.code]).toEqual([401, "unauthenticated"]);
    }
    expect((await signIn(BOB)).status).toBe(200);
  });

  it("audit export and verify see the operator's actions, recorded as the system's", async () => {
    const verify = await json("audit", "verify");
    expect([verify.code, verify.body.ok]).toEqual([0, true]);
    const result = await atrium("audit", "export", "--action", "user.disabled");
    expect(result.code).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "user.disabled",
      actor: { type: "system", id: "cli" },
      target: { type: "user", id: expect.stringMatching(/^usr_/) },
      metadata: { sessionsRevoked: 2, apiKeysRevoked: 1 },
    });
    const all = await atrium("audit", "export");
    expect(all.stdout.trimEnd().split("\n")).toHaveLength(verify.body.events);
    expect((await fetch(`${server!.url}/readyz`)).status).toBe(200);
    await down();
  });
});

describe("a tampered audit log", () => {
  it("audit verify exits 1 and names the broken chain, the event's number and its id", async () => {
    const [row] = await sql<{ id: string; metadata: unknown }>(
      "SELECT id, metadata FROM audit_events WHERE chain_key = $1 AND seq = 1",
      [fixtures.opsTeamId],
    );
    const tamper = (metadata: string) =>
      sql(
        `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
         UPDATE audit_events SET metadata = '${metadata}' WHERE chain_key = '${fixtures.opsTeamId}' AND seq = 1;
         ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;`,
      );
    await tamper('{"x":1}');

    const result = await atrium("audit", "verify");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `BROKEN ${fixtures.opsTeamId} at event #1 (${row!.id}): its content does not match its hash`,
    );
    expect(result.stdout).not.toContain("Every chain is intact.");
    const report = await json("audit", "verify");
    expect(report.code).toBe(1);
    expect(report.body.ok).toBe(false);
    expect(report.body.broken).toEqual([
      { chainKey: fixtures.opsTeamId, seq: 1, eventId: row!.id, reason: expect.any(String) },
    ]);
    expect((await atrium("audit", "verify", "--org", "ops-team")).code).toBe(1);
    const other = await atrium("audit", "verify", "--org", "bob-works");
    expect([other.code, other.stdout]).toEqual([
      0,
      expect.stringContaining("Every chain is intact."),
    ]);

    // Put the original back: the chain verifies again, so the check is about content.
    await tamper(JSON.stringify(row!.metadata).replace(/'/g, "''"));
    expect((await atrium("audit", "verify")).code).toBe(0);
  });
});
