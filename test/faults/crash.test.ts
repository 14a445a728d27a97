import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runAtrium } from "../support/cli.js";
import { type AtriumProcess, killAllAtrium, startAtrium } from "./support/atrium-process.js";
import { type FreshDatabase, freshDatabase, queryFresh } from "./support/databases.js";
import {
  call,
  eventually,
  nextClientIp,
  PUBLIC_URL,
  signUp,
  TRUST_LOCAL_PROXY,
  verifyEmail,
} from "./support/http.js";
import { type SmtpSink, startSmtpSink } from "./support/smtp-sink.js";

/**
 * kill -9 at random moments under a write load. Every request the server acknowledged (2xx) is
 * recorded; afterwards each must be in the database, no change may exist without its companion
 * rows (the owner of an organization, the outbox row of an invitation, the audit event of a
 * change), and every queued email must reach the SMTP server.
 */
const KILLS = 5;
const WORKERS = 4;

interface Acknowledged {
  users: string[];
  organizations: { id: string; ownerId: string }[];
  invitations: { id: string; email: string }[];
  joins: { orgId: string; userId: string }[];
  roleChanges: { memberId: string; role: string }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

describe("kill -9 under write load", () => {
  let database: FreshDatabase | undefined;
  let sink: SmtpSink | undefined;

  afterAll(async () => {
    await killAllAtrium();
    await sink?.close();
    await database?.drop();
  });

  it(`loses no acknowledged write, leaves no half-state and delivers every email across ${KILLS} kills`, async () => {
    database = await freshDatabase();
    sink = await startSmtpSink();
    const atrium: AtriumProcess = await startAtrium({
      name: "A",
      env: { ...database.env, SMTP_URL: sink.url, PUBLIC_URL, ...TRUST_LOCAL_PROXY },
    });
    const acked: Acknowledged = {
      users: [],
      organizations: [],
      invitations: [],
      joins: [],
      roleChanges: [],
    };
    const serverErrors: string[] = [];
    let requests = 0;
    let running = true;
    let counter = 0;

    /** One request; undefined unless 2xx. A 5xx other than 503 is a finding. */
    async function post(
      method: "POST" | "PATCH" | "GET",
      path: string,
      options: Parameters<typeof call>[3],
    ) {
      requests++;
      try {
        const answer = await call(atrium.url, method, path, { timeoutMs: 10_000, ...options });
        if (answer.status >= 500 && answer.status !== 503) {
          serverErrors.push(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
        }
        return answer.status >= 200 && answer.status < 300 ? answer : undefined;
      } catch {
        return undefined; // killed mid-request or not yet back: not acknowledged
      }
    }

    /** Sign-up, an organization, invitations by email, a member joining by link, a role change. */
    async function iteration(worker: number): Promise<void> {
      const tag = `${worker}-${++counter}-${Date.now()}`;
      const ownerEmail = `owner-${tag}@example.com`;
      let owner: Awaited<ReturnType<typeof signUp>>;
      try {
        owner = await signUp(atrium.url, ownerEmail, "Owner", { ip: nextClientIp() });
      } catch (error) {
        if (/answered 5\d\d/.test(String(error)) && !/answered 503/.test(String(error))) {
          serverErrors.push(String(error));
        }
        return;
      } finally {
        requests++;
      }
      acked.users.push(owner.userId);
      // Email invitations need a verified inviter; a link held up by a kill ends the iteration.
      try {
        await verifyEmail(atrium.url, sink!, ownerEmail, { timeoutMs: 15_000, ip: nextClientIp() });
      } catch {
        return;
      }
      const org = await post("POST", "/organizations", {
        body: { name: `Crash ${tag}` },
        cookie: owner.cookie,
      });
      if (!org) return;
      acked.organizations.push({ id: org.body.id, ownerId: owner.userId });
      const guests = [`guest-a-${tag}@example.com`, `guest-b-${tag}@example.com`];
      const invited = await post("POST", `/organizations/${org.body.id}/invitations`, {
        body: { emails: guests, role: "member", delivery: "email" },
        cookie: owner.cookie,
      });
      if (!invited) return;
      for (const inv of invited.body.invitations)
        acked.invitations.push({ id: inv.id, email: inv.email });
      const memberEmail = `member-${tag}@example.com`;
      const link = await post("POST", `/organizations/${org.body.id}/invitations`, {
        body: { emails: [memberEmail], role: "member", delivery: "link" },
        cookie: owner.cookie,
      });
      if (!link) return;
      const invitationToken = String(link.body.invitations[0].url).split("/invite/")[1]!;
      const joined = await post("POST", "/auth/sign-up", {
        body: {
          email: memberEmail,
          password: "violet-kettle-harbour-42",
          name: "Member",
          invitationToken,
        },
        ip: nextClientIp(),
      });
      if (!joined) return;
      acked.users.push(joined.body.user.id);
      acked.joins.push({ orgId: org.body.id, userId: joined.body.user.id });
      const members = await post("GET", `/organizations/${org.body.id}/members?q=member-`, {
        cookie: owner.cookie,
      });
      const memberId: string | undefined = members?.body.items[0]?.id;
      if (!memberId) return;
      const changed = await post("PATCH", `/organizations/${org.body.id}/members/${memberId}`, {
        body: { role: "admin" },
        cookie: owner.cookie,
      });
      if (changed) acked.roleChanges.push({ memberId, role: "admin" });
    }

    const workers = Array.from({ length: WORKERS }, async (_, worker) => {
      for (let i = 0; running && i < 10_000; i++) {
        const before = requests;
        await iteration(worker);
        // Back off while the server is down, rather than spin against a closed port.
        await sleep(requests - before <= 1 ? 100 : 5);
      }
    });

    const firstStartMs = atrium.readyMs;
    const lockFile = database.dataDir ? join(database.dataDir, "atrium.lock") : undefined;
    const readyAfterKill: number[] = [];
    const killedAt: number[] = [];
    const loadStarted = Date.now();
    const ackedWrites = () =>
      acked.users.length +
      acked.organizations.length +
      acked.invitations.length +
      acked.roleChanges.length;
    for (let k = 0; k < KILLS; k++) {
      // Under load for real: a few writes acknowledged since the restart, then a random moment.
      const base = ackedWrites();
      await eventually(
        "writes acknowledged since the restart",
        () => (ackedWrites() >= base + 3 ? true : undefined),
        {
          timeoutMs: 30_000,
          everyMs: 20,
        },
      );
      await sleep(between(100, 1_500));
      killedAt.push(Date.now() - loadStarted);
      const killedPid = atrium.pid;
      const exit = await atrium.kill("SIGKILL");
      expect(exit.signal).toBe("SIGKILL");
      if (lockFile) expect(readFileSync(lockFile, "utf8")).toBe(String(killedPid)); // left behind
      await atrium.restart();
      readyAfterKill.push(atrium.readyMs);
      if (lockFile) expect(readFileSync(lockFile, "utf8")).toBe(String(atrium.pid)); // taken over
    }
    await sleep(1_500);
    running = false;
    await Promise.all(workers);
    const loadMs = Date.now() - loadStarted;

    // Claims held by a killed sender expire, then the worker retries: wait for an empty outbox.
    await eventually(
      "an empty outbox",
      async () => {
        const metrics = await call(atrium.url, "GET", "/metrics").catch(() => undefined);
        return /^atrium_outbox_backlog 0$/m.test(String(metrics?.body)) ? true : undefined;
      },
      { timeoutMs: 100_000, everyMs: 500 },
    );
    const drainMs = Date.now() - loadStarted - loadMs;
    expect(await atrium.stop()).toMatchObject({ signal: null });

    const q = <T>(text: string, params: unknown[] = []) => queryFresh<T>(database!, text, params);
    const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

    // Every acknowledged write is there.
    const users = await q<{ id: string }>("SELECT id FROM users WHERE id = ANY($1)", [acked.users]);
    expect(
      acked.users.filter((id) => !ids(users).includes(id)),
      "acknowledged sign-ups missing",
    ).toEqual([]);
    const owners = await q<{ id: string }>(
      `SELECT o.id FROM organizations o JOIN organization_members m
         ON m.organization_id = o.id AND m.role = 'owner' WHERE o.id = ANY($1)`,
      [acked.organizations.map((o) => o.id)],
    );
    expect(
      acked.organizations.filter((o) => !ids(owners).includes(o.id)),
      "acknowledged organizations missing or without their owner",
    ).toEqual([]);
    const invitations = await q<{ id: string }>("SELECT id FROM invitations WHERE id = ANY($1)", [
      acked.invitations.map((i) => i.id),
    ]);
    expect(
      acked.invitations.filter((i) => !ids(invitations).includes(i.id)),
      "acknowledged invitations missing",
    ).toEqual([]);
    const joins = await q<{ organization_id: string; user_id: string }>(
      "SELECT organization_id, user_id FROM organization_members WHERE user_id = ANY($1)",
      [acked.joins.map((j) => j.userId)],
    );
    expect(
      acked.joins.filter(
        (j) => !joins.some((m) => m.organization_id === j.orgId && m.user_id === j.userId),
      ),
      "acknowledged joins missing",
    ).toEqual([]);
    const admins = await q<{ id: string }>(
      "SELECT id FROM organization_members WHERE id = ANY($1) AND role = 'admin'",
      [acked.roleChanges.map((r) => r.memberId)],
    );
    expect(
      acked.roleChanges.filter((r) => !ids(admins).includes(r.memberId)),
      "acknowledged role changes missing",
    ).toEqual([]);

    // No half-state anywhere, acknowledged or not.
    expect(
      await q(`SELECT o.id FROM organizations o WHERE NOT EXISTS (
        SELECT 1 FROM organization_members m WHERE m.organization_id = o.id AND m.role = 'owner')`),
      "organizations without an owner",
    ).toEqual([]);
    expect(
      await q(`SELECT i.id FROM invitations i WHERE i.delivery = 'email' AND NOT EXISTS (
        SELECT 1 FROM outbox_emails e WHERE lower(e.to_address) = i.email_canonical)`),
      "invitations by email without their outbox row",
    ).toEqual([]);
    expect(
      await q(`SELECT m.id FROM organization_members m WHERE m.role = 'admin' AND NOT EXISTS (
        SELECT 1 FROM audit_events a WHERE a.action = 'member.role_changed' AND a.target_id = m.id)`),
      "role changes without their audit event",
    ).toEqual([]);
    for (const [table, action] of [
      ["users", "user.signed_up"],
      ["organizations", "organization.created"],
      ["invitations", "invitation.created"],
    ]) {
      expect(
        await q(`SELECT t.id FROM ${table} t WHERE NOT EXISTS (
          SELECT 1 FROM audit_events a WHERE a.action = '${action}' AND a.target_id = t.id)`),
        `${table} without their ${action} event`,
      ).toEqual([]);
    }
    const verify = await runAtrium(["audit", "verify"], database.env);
    expect(verify.code, `atrium audit verify:\n${verify.stdout}${verify.stderr}`).toBe(0);

    // Every queued email reached the SMTP server; a resend (a kill between the server's
    // acceptance and the commit) keeps its Message-ID.
    const outbox = await q<{ to_address: string; subject: string; status: string }>(
      "SELECT to_address, subject, status FROM outbox_emails",
    );
    expect(
      outbox.filter((e) => e.status !== "sent"),
      "emails not sent",
    ).toEqual([]);
    const key = (to: string, subject: string) => `${to.toLowerCase()}\n${subject}`;
    const expected = new Map<string, number>();
    for (const e of outbox)
      expected.set(
        key(e.to_address, e.subject),
        (expected.get(key(e.to_address, e.subject)) ?? 0) + 1,
      );
    const delivered = new Map<string, { count: number; ids: Set<string> }>();
    for (const m of sink.messages()) {
      const k = key(m.to[0] ?? "", m.subject);
      const entry = delivered.get(k) ?? { count: 0, ids: new Set<string>() };
      entry.count++;
      entry.ids.add(m.messageId);
      delivered.set(k, entry);
    }
    const undelivered = [...expected].filter(([k, n]) => (delivered.get(k)?.count ?? 0) < n);

    const resent = [...delivered].filter(([k, d]) => d.count > (expected.get(k) ?? 0));
    const duplicates = resent.reduce((sum, [k, d]) => sum + d.count - (expected.get(k) ?? 0), 0);
    console.log(
      [
        `kill -9 on ${database.kind}: ${KILLS} kills at ${killedAt.map((t) => `${(t / 1000).toFixed(1)} s`).join(", ")} of load`,
        `  ${requests} requests, acknowledged: ${acked.users.length} sign-ups, ${acked.organizations.length} organizations, ${acked.invitations.length} invitations by email, ${acked.joins.length} joins, ${acked.roleChanges.length} role changes — all present, no half-state`,
        `  ${outbox.length} emails queued, ${undelivered.length} undelivered, ${duplicates} sent again (crash window), ${resent.filter(([k, d]) => d.ids.size > (expected.get(k) ?? 0)).length} of them under a new Message-ID`,
        `  load ${(loadMs / 1000).toFixed(1)} s, outbox empty ${(drainMs / 1000).toFixed(1)} s later`,
        `  time to ready after kill -9: median ${median(readyAfterKill)} ms, max ${Math.max(...readyAfterKill)} ms (first, clean start: ${firstStartMs} ms)`,
      ].join("\n"),
    );
    expect(undelivered, "queued emails never delivered").toEqual([]);
    expect(
      resent.filter(([k, d]) => d.ids.size > (expected.get(k) ?? 0)).map(([k]) => k),
      "emails sent again under another Message-ID",
    ).toEqual([]);
    expect(duplicates, "duplicates beyond one per kill").toBeLessThanOrEqual(KILLS);

    expect(serverErrors, "5xx answers other than 503").toEqual([]);
    expect(acked.roleChanges.length, "role changes acknowledged").toBeGreaterThan(0);
  });
});
