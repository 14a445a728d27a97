import { sql } from "kysely";
import type { Logger } from "pino";
import { deleteExpiredAccountTokens } from "./accounts/account-tokens.queries.js";
import { deleteStaleDevices } from "./accounts/known-devices.js";
import { applyAuditRetention } from "./audit/audit-retention.js";
import type { Deps } from "./deps.js";
import { deleteExpiredOAuthFlows } from "./identities/identities.queries.js";
import { deleteEmailsSentBefore } from "./mail/outbox.queries.js";
import { deleteStaleRateLimits } from "./rate-limit/rate-limit.js";
import { deleteExpiredSessions } from "./sessions/sessions.queries.js";

const EVERY_MS = 10 * 60_000;
/**
 * The embedded database's write-ahead log is checked this often, and tidied once this much has
 * been written since the last checkpoint: under steady writes a 10-minute sweep alone let pg_wal
 * reach gigabytes (PostgreSQL's checkpointer does the same at max_wal_size or 5 minutes).
 */
const WAL_CHECK_MS = 15_000;
const WAL_TIDY_BYTES = 64 * 1024 * 1024;
const KEEP_SENT_EMAIL_MS = 7 * 24 * 60 * 60_000;

/**
 * Removes rows that can no longer matter: ended sessions, dead tokens, old counters, sent mail,
 * and audit events past ATRIUM_AUDIT_RETENTION; on the embedded database, then reclaims their
 * space and the write-ahead log's.
 */
export async function sweepExpired(deps: Deps, embedded = false): Promise<void> {
  const now = deps.clock.now();
  if (deps.config.auditRetentionMs !== undefined) {
    await applyAuditRetention(deps.db, deps.config.auditRetentionMs, now, deps.logger);
  }
  await deleteExpiredSessions(deps.db, now, deps.config.sessionMaxAgeMs);
  await deleteExpiredAccountTokens(deps.db, now);
  await deleteStaleRateLimits(deps.db, now, 24 * 60 * 60_000);
  await deleteStaleDevices(deps.db, now);
  await deleteExpiredOAuthFlows(deps.db, now);
  await deleteEmailsSentBefore(deps.db, new Date(now.getTime() - KEEP_SENT_EMAIL_MS));
  if (embedded) await tidyEmbedded(deps);
}

/** Tables whose rows are updated or deleted all the time (sign-ins, limits, mail, chain heads). */
const CHURNED_TABLES = [
  "sessions",
  "rate_limits",
  "outbox_emails",
  "account_tokens",
  "audit_chains",
  "api_keys",
];

/**
 * What PostgreSQL's background processes do and the embedded database, one process with no
 * autovacuum and no checkpointer, does not: VACUUM makes the space of deleted rows reusable
 * (without it every session ever created stays on disk), ANALYZE keeps the planner's
 * statistics current, and CHECKPOINT lets the write-ahead log be recycled (without it pg_wal
 * grows by a segment every 16 MB written, for ever). Only the churned tables are vacuumed:
 * the embedded database serves one statement at a time, and they are small.
 */
async function tidyEmbedded(deps: Deps): Promise<void> {
  await sql`VACUUM ${sql.raw(CHURNED_TABLES.join(", "))}`.execute(deps.db);
  await sql`ANALYZE`.execute(deps.db);
  await sql`CHECKPOINT`.execute(deps.db);
}

/** Bytes of write-ahead log written since the last checkpoint. */
async function walSinceCheckpoint(deps: Deps): Promise<number> {
  const { rows } = await sql<{ since: number }>`
    SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::float8 AS since
    FROM pg_control_checkpoint()`.execute(deps.db);
  return Number(rows[0]?.since ?? 0);
}

/** Vacuums the churned tables and checkpoints once enough log has been written (embedded only). */
export async function tidyEmbeddedIfDue(
  deps: Deps,
  thresholdBytes = WAL_TIDY_BYTES,
): Promise<boolean> {
  if ((await walSinceCheckpoint(deps)) < thresholdBytes) return false;
  await sql`VACUUM ${sql.raw(CHURNED_TABLES.join(", "))}`.execute(deps.db);
  await sql`CHECKPOINT`.execute(deps.db);
  return true;
}

export function startMaintenance(deps: Deps, logger: Logger, embedded: boolean): () => void {
  const timers = [
    setInterval(() => {
      sweepExpired(deps, embedded).catch((error) =>
        logger.warn({ err: error }, "maintenance sweep failed"),
      );
    }, EVERY_MS),
  ];
  if (embedded) {
    timers.push(
      setInterval(() => {
        tidyEmbeddedIfDue(deps).catch((error) =>
          logger.warn({ err: error }, "embedded database tidy failed"),
        );
      }, WAL_CHECK_MS),
    );
  }
  for (const timer of timers) timer.unref();
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
