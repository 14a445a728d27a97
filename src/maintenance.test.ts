import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, inject, it } from "vitest";
import { Client, FakeClock, Mailbox, PUBLIC_URL, signUpUser } from "../test/support/test-app.js";
import { type AtriumApp, buildApp } from "./app.js";
import { recordAuditEvent, userActor } from "./audit/audit-events.js";
import { loadConfig } from "./config.js";
import { createPGlite, openDatabase } from "./db/database.js";
import { transaction } from "./db/transaction.js";
import type { RequestMeta } from "./lib/request-meta.js";
import { sweepExpired, tidyEmbeddedIfDue } from "./maintenance.js";
import { clearAttempts, POLICIES, takeAttempt } from "./rate-limit/rate-limit.js";
import { signOut, startSession, validateSession } from "./sessions/sessions.service.js";

/**
 * The database side of one sign-in and sign-out, through the services: the attempt counted
 * and cleared, a session started with its audit event, validated, then ended with its own.
 * (The password hash is left out: 70 ms of CPU that writes nothing.)
 */
async function signInAndOut(app: AtriumApp, user: { id: string; email: string }, n: number) {
  const deps = app.deps;
  const meta: RequestMeta = {
    ipAddress: `10.77.${(n >> 8) & 255}.${n & 255}`,
    userAgent: "churn",
    requestId: `churn-${n}`,
    now: deps.clock.now(),
  };
  const accountKey = `signin:account:${user.email}`;

  const limit = await takeAttempt(
    deps.db,
    [
      { key: accountKey, policy: POLICIES.signInPerAccount },
      { key: `signin:ip:${meta.ipAddress}`, policy: POLICIES.signInPerAddress },
    ],
    meta.now,
  );
  expect(limit.allowed).toBe(true);
  await clearAttempts(deps.db, accountKey);
  const session = await transaction(deps.db, async (tx) => {
    const issued = await startSession(deps, tx, user.id, meta);
    await recordAuditEvent(tx, meta, {
      action: "user.signed_in",
      actor: userActor(user),
      subjectUserId: user.id,
      metadata: { method: "password" },
    });
    return issued;
  });
  const validated = await validateSession(deps, session.token, meta.now);
  if (!validated) throw new Error("the new session did not validate");
  await signOut(deps, validated.state, meta);
}

// On the embedded database whichever database the run is on: only it lacks autovacuum.
describe("the embedded database under session churn", async () => {
  const dir = mkdtempSync(join(tmpdir(), "atrium-churn-"));
  const dataDir = join(dir, "data");
  // The run's migrated snapshot when it has one (a PGlite run); otherwise buildApp migrates.
  const snapshot = inject("pgliteSnapshot");
  if (snapshot) {
    const loaded = await createPGlite({
      dataDir,
      loadDataDir: new Blob([readFileSync(snapshot)]),
    });
    await loaded.close();
  }
  const clock = new FakeClock();
  const app = await buildApp({
    config: loadConfig({ PUBLIC_URL, LOG_LEVEL: "silent", ATRIUM_DATA_DIR: dataDir }),
    database: await openDatabase({ dataDir }),
    clock,
    mailTransport: new Mailbox(),
    workers: false,
  });
  await app.ready();
  afterAll(async () => {
    await app.close();
    await app.database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Bytes of the churned tables, with their indexes and TOAST. */
  async function churnedTablesSize(): Promise<number> {
    const { rows } = await sql<{ bytes: number }>`
      SELECT sum(pg_total_relation_size(c))::int AS bytes
      FROM unnest(array['sessions', 'rate_limits', 'audit_chains']::regclass[]) AS c`.execute(
      app.deps.db,
    );
    return rows[0]?.bytes ?? 0;
  }

  /** WAL written since the last checkpoint's redo point: what a restart would replay. */
  async function walSinceLastCheckpoint(): Promise<number> {
    const { rows } = await sql<{ bytes: number }>`
      SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::int AS bytes
      FROM pg_control_checkpoint()`.execute(app.deps.db);
    return rows[0]?.bytes ?? 0;
  }

  it("stays bounded under sign-in churn: the sweep reuses deleted rows' space and checkpoints", async () => {
    const { user } = await signUpUser({ app, clock } as never, { client: new Client(app) });
    const tables: number[] = [];
    let n = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 200; i++) await signInAndOut(app, user, n++);
      // A day later, as the ten-minute sweep sees it: the round's address counters are stale.
      clock.advance(25 * 3_600_000);
      await sweepExpired(app.deps, true);
      tables.push(await churnedTablesSize());
      // Nothing to replay: the write-ahead log before this point can be recycled.
      expect(await walSinceLastCheckpoint()).toBeLessThan(64 * 1024);
    }
    // Once B-tree pages freed by one vacuum are reusable after the next, every round writes
    // as many rows as the one before into the space that one left: no growth at all.
    // A few pages of slack: index page splits land a little differently run to run (a CI run
    // saw 16 KiB), while without the vacuum the tables grow by hundreds of KiB a round.
    expect(tables[4], JSON.stringify(tables)).toBeLessThanOrEqual((tables[2] ?? 0) + 32 * 1024);
  });

  it("checkpoints between sweeps once enough log has been written, and not before", async () => {
    const { user } = await signUpUser({ app, clock } as never, { client: new Client(app) });
    await sweepExpired(app.deps, true);
    // Well under the threshold: left alone, so a quiet instance does no work every 15 s.
    expect(await tidyEmbeddedIfDue(app.deps, 1024 * 1024)).toBe(false);
    for (let i = 0; i < 300; i++) await signInAndOut(app, user, 10_000 + i);
    const written = await walSinceLastCheckpoint();
    expect(written).toBeGreaterThan(64 * 1024);
    // Past it: vacuumed and checkpointed, so the log before this point can be recycled.
    expect(await tidyEmbeddedIfDue(app.deps, 64 * 1024)).toBe(true);
    expect(await walSinceLastCheckpoint()).toBeLessThan(64 * 1024);
  });
});
