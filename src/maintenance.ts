import { sql } from "kysely";
import type { Logger } from "pino";
import { deleteStaleDevices } from "./accounts/known-devices.js";
import { applyAuditRetention } from "./audit/audit-retention.js";
import type { Deps } from "./deps.js";
import { deleteStaleRateLimits } from "./rate-limit/rate-limit.js";
import { deleteExpiredSessions } from "./sessions/sessions.queries.js";

const EVERY_MS = 10 * 60_000;
const KEEP_SENT_EMAIL_MS = 7 * 24 * 60 * 60_000;

/**
 * Removes rows that can no longer matter: ended sessions, dead tokens, old counters, sent mail,
 * and audit events past ATRIUM_AUDIT_RETENTION.
 */
export async function sweepExpired(deps: Deps, embedded = false): Promise<void> {
  const now = deps.clock.now();
  // PostgreSQL's autovacuum keeps statistics current; the embedded database has none.
  if (embedded) await sql`ANALYZE`.execute(deps.db);
  if (deps.config.auditRetentionMs !== undefined) {
    await applyAuditRetention(deps.db, deps.config.auditRetentionMs, now, deps.logger);
  }
  await deleteExpiredSessions(deps.db, now, deps.config.sessionMaxAgeMs);
  await deps.db.deleteFrom("account_tokens").where("expires_at", "<=", now).execute();
  await deleteStaleRateLimits(deps.db, now, 24 * 60 * 60_000);
  await deleteStaleDevices(deps.db, now);
  await deps.db
    .deleteFrom("outbox_emails")
    .where("status", "=", "sent")
    .where("sent_at", "<", new Date(now.getTime() - KEEP_SENT_EMAIL_MS))
    .execute();
}

export function startMaintenance(deps: Deps, logger: Logger, embedded: boolean): () => void {
  const timer = setInterval(() => {
    sweepExpired(deps, embedded).catch((error) =>
      logger.warn({ err: error }, "maintenance sweep failed"),
    );
  }, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
