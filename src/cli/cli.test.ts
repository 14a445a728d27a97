import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type CliResult,
  cliEnvironment,
  type Env,
  emptyPostgresDatabase,
  type RunningServer,
  runAtrium,
  startServer,
} from "../../test/support/cli.js";

// The real `atrium` command (dist/cli/atrium.js) in child processes, on a database of this
// file's own: a fresh embedded data folder, or a template copy when DATABASE_URL is set.
const onPostgres = Boolean(process.env.DATABASE_URL);
const PUBLIC_URL = "http://atrium.test";
const INVITE_LINK = /^http:\/\/atrium\.test\/invite\/([A-Za-z0-9_-]{20,})$/m;
const PASSWORD = "violet-kettle-harbour-42";

// Each test spawns several Node processes (the embedded database takes a while to open).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const cli = await cliEnvironment();
const env: Env = cli.env;
afterAll(() => cli.cleanup());

const atrium = (args: string[], extra: Env = {}) => runAtrium(args, { ...env, ...extra });
const orgCreate = (name: string, owner: string, ...more: string[]) =>
  atrium(["org", "create", "--name", name, "--owner", owner, ...more]);

function tokenOf(result: CliResult): string {
  const token = INVITE_LINK.exec(result.stdout)?.[1];
  if (!token) throw new Error(`no invitation link in:\n${result.stdout}\n${result.stderr}`);
  return token;
}

/** Follows the owner invitation on a running server: look it up, sign up with it, be owner. */
async function expectInvitationMakesOwner(
  server: RunningServer,
  token: string,
  email: string,
  name: string,
) {
  const lookup = await fetch(`${server.url}/api/v1/invitations/${token}`);
  expect(lookup.status).toBe(200);
  expect(await lookup.json()).toMatchObject({
    organization: { name },
    role: "owner",
    email,
    status: "pending",
  });
  const signUp = await fetch(`${server.url}/api/v1/auth/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: PUBLIC_URL },
    body: JSON.stringify({ email, password: PASSWORD, name: "The Boss", invitationToken: token }),
  });
  expect(signUp.status).toBe(201);
  const cookie = signUp.headers.getSetCookie().find((c) => c.startsWith("atrium_session="));
  const mine = await fetch(`${server.url}/api/v1/me/organizations`, {
    headers: { cookie: cookie?.split(";")[0] ?? "" },
  });
  expect(mine.status).toBe(200);
  const { items } = (await mine.json()) as { items: unknown[] };
  expect(items).toContainEqual(
    expect.objectContaining({ organization: expect.objectContaining({ name }), role: "owner" }),
  );
}

describe("usage", () => {
  it("prints the usage and exits 0 for --help", async () => {
    const result = await atrium(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: atrium <command>");
    for (const command of ["serve", "migrate", "org create"])
      expect(result.stdout).toContain(command);
  });

  it("prints the usage and exits 2 when no command is given", async () => {
    const result = await atrium([]);
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toContain("Usage: atrium <command>");
  });

  it("names an unknown command and exits 2", async () => {
    const result = await atrium(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain("Usage: atrium <command>");
    const sub = await atrium(["org", "delete"]);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('unknown command "org delete"');
  });

  it("explains org create with --help and exits 0", async () => {
    const result = await atrium(["org", "create", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: atrium org create --name <name> --owner <email>");
  });

  it.each([
    ["migrate", "PORT", "abc"],
    ["migrate", "ATRIUM_SESSION_TTL", "forever"],
    ["serve", "PORT", "abc"],
    ["org", "ATRIUM_SESSION_TTL", "forever"],
  ])(
    "stops %s on %s=%s with exit 2 and one line naming the variable",
    async (command, name, value) => {
      const args =
        command === "org" ? ["org", "create", "--name", "X", "--owner", "x@y.com"] : [command];
      const result = await atrium(args, { [name]: value });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      const lines = result.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(name);
      expect(lines[0]).toContain(value);
    },
  );
});

describe("atrium migrate", () => {
  it("applies the migrations to a new database, then reports it up to date", async () => {
    const empty = onPostgres ? await emptyPostgresDatabase(process.env.DATABASE_URL!) : undefined;
    const target: Env = empty
      ? { DATABASE_URL: empty.url }
      : { ATRIUM_DATA_DIR: join(env.ATRIUM_DATA_DIR!, "..", "migrate-only") };
    try {
      const first = await atrium(["migrate"], target);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^applied: 0001-accounts-and-sessions, /);
      const second = await atrium(["migrate"], target);
      expect(second.code).toBe(0);
      expect(second.stdout.trim()).toBe("database is up to date");
    } finally {
      await empty?.drop();
    }
  });
});

describe("atrium org create without a server", () => {
  it("creates the organization, prints its slug and the invitation link, and logs the email", async () => {
    const result = await orgCreate("Acme Inc", "boss@acme.com");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Created organization "Acme Inc" (slug acme-inc, id org_');
    expect(result.stdout).toContain("Owner invitation for boss@acme.com");
    const link = `${PUBLIC_URL}/invite/${tokenOf(result)}`;
    // Without SMTP_URL the email, with the same link, is written to the log on stderr.
    const emails = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.email);
    expect(emails).toHaveLength(1);
    expect(emails[0].email.to).toBe("boss@acme.com");
    expect(emails[0].email.text).toContain("Acme Inc");
    expect(emails[0].email.text).toContain(link);
  });

  it("prints the result as JSON with --json", async () => {
    const result = await orgCreate("Json Corp", "owner@json.example", "--json");
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer.organization).toEqual({
      id: expect.stringMatching(/^org_/),
      slug: "json-corp",
      name: "Json Corp",
    });
    expect(answer.invitationUrl).toMatch(INVITE_LINK);
    const expiresIn = Date.parse(answer.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(6.9 * 86_400_000);
    expect(expiresIn).toBeLessThanOrEqual(7 * 86_400_000);
  });

  it("refuses a missing --name or --owner, or an unknown option, with exit 2 and the usage", async () => {
    for (const args of [
      ["--owner", "boss@acme.com"],
      ["--name", "Acme Inc"],
      ["--name", "Acme Inc", "--owner", "boss@acme.com", "--role", "admin"],
      ["--owner", "boss@acme.com", "--name"],
    ]) {
      const result = await atrium(["org", "create", ...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain("Usage: atrium org create");
    }
  });

  it("refuses a bad owner email with exit 2 and says what is wrong", async () => {
    const result = await orgCreate("Nobody Ltd", "not-an-email");
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^atrium: The email address .+ \(invalid_request\)\n$/);
  });

  it("refuses a slug that is taken with exit 2 and names the slug", async () => {
    const first = await orgCreate("Acme", "first@acme.com", "--slug", "acme");
    expect(first.code).toBe(0);
    const second = await orgCreate("Acme Again", "second@acme.com", "--slug", "acme");
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('The slug "acme" is taken. (conflict)');
    const json = await orgCreate("Acme Again", "second@acme.com", "--slug", "acme", "--json");
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "conflict" });
  });

  it("lets two commands started together either both run or refuse one clearly, never corrupting", async () => {
    const results = await Promise.all([
      orgCreate("Twin One", "one@twins.example", "--json"),
      orgCreate("Twin Two", "two@twins.example", "--json"),
    ]);
    for (const result of results) {
      if (result.code === 0) expect(JSON.parse(result.stdout).organization.slug).toMatch(/^twin-/);
      else {
        // Only the embedded database is one process's: the second command stops, untouched.
        expect(onPostgres).toBe(false);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("is in use by another Atrium process");
      }
    }
    expect(results.some((result) => result.code === 0)).toBe(true);
    if (onPostgres) expect(results.map((result) => result.code)).toEqual([0, 0]);
    const after = await orgCreate("Twin Three", "three@twins.example", "--json");
    expect(after.code).toBe(0);
  });

  it("creates an invitation that a server on the same database honours: the invitee becomes owner", async () => {
    const created = await orgCreate("Initech", "boss@initech.com");
    expect(created.code).toBe(0);
    const server = await startServer(env);
    try {
      await expectInvitationMakesOwner(server, tokenOf(created), "boss@initech.com", "Initech");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe("atrium with a server running on the same database", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(env);
  });

  it("org create still succeeds, and the server honours the invitation", async () => {
    const created = await orgCreate("Globex", "ceo@globex.com");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("slug globex");
    const token = tokenOf(created);
    await expectInvitationMakesOwner(server, token, "ceo@globex.com", "Globex");
    if (!onPostgres) {
      // The command could not open the embedded database: the server carried it out, and its
      // outbox (writing to its own log) sent the invitation.
      expect(created.stderr).not.toContain(token);
      await vi.waitFor(() => expect(server.output()).toContain(`/invite/${token}`), {
        timeout: 10_000,
      });
    }
  });

  it("org create reports a taken slug the same way", async () => {
    const result = await orgCreate("Globex Two", "cfo@globex.com", "--slug", "globex");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('The slug "globex" is taken. (conflict)');
  });

  if (!onPostgres) {
    it("migrate refuses the embedded database in use with exit 1, and the server keeps working", async () => {
      const result = await atrium(["migrate"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toContain(`is in use by another Atrium process (pid ${server.pid})`);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expect(
        (await fetch(`${server.url}/api/v1/invitations/nope-nope-nope-nope-nope`)).status,
      ).toBe(404);
    });
  } else {
    it("migrate runs alongside the server on PostgreSQL and finds the database up to date", async () => {
      const result = await atrium(["migrate"]);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe("database is up to date");
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    });
  }

  it("gives the database back when the server stops: commands open it directly again", async () => {
    expect(await server.stop()).toBe(0);
    if (!onPostgres) {
      expect(existsSync(join(env.ATRIUM_DATA_DIR!, "atrium.lock"))).toBe(false);
      expect(existsSync(join(env.ATRIUM_DATA_DIR!, "atrium.sock"))).toBe(false);
    }
    const result = await atrium(["migrate"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe("database is up to date");
  });

  it("takes over the data folder of a server that was killed", async () => {
    const killed = await startServer(env);
    await killed.stop("SIGKILL");
    if (!onPostgres) expect(existsSync(join(env.ATRIUM_DATA_DIR!, "atrium.lock"))).toBe(true);
    const created = await orgCreate("Hooli", "gavin@hooli.com", "--json");
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).organization.slug).toBe("hooli");
  });
});
