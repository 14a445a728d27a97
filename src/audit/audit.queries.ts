import type { Kysely, Transaction } from "kysely";
import type { DB } from "../db/schema.js";
import type { StoredAuditEvent } from "./audit-chain.js";

type Executor = Kysely<DB> | Transaction<DB>;

export interface AuditFilter {
  /**
   * An organization's events, the events about one account (within one organization, for a
   * key bound to it), or (operators only) all.
   */
  scope:
    | { organizationId: string }
    | { subjectUserId: string; withinOrganizationId?: string | undefined }
    | { all: true };
  action?: string | undefined;
  actorId?: string | undefined;
  /** The actor's address as a person would type it: matched whatever its letter case. */
  actorEmail?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/**
 * A page of events, newest first. Event ids are time-ordered, so the keyset on id walks the
 * scope's (scope, id DESC) index whatever the depth.
 */
export function listAuditEvents(
  db: Executor,
  filter: AuditFilter,
  page: { limit: number; beforeId?: string | undefined },
) {
  let query = db.selectFrom("audit_events").selectAll();
  if ("organizationId" in filter.scope)
    query = query.where("organization_id", "=", filter.scope.organizationId);
  else if ("subjectUserId" in filter.scope) {
    query = query.where("subject_user_id", "=", filter.scope.subjectUserId);
    if (filter.scope.withinOrganizationId)
      query = query.where("organization_id", "=", filter.scope.withinOrganizationId);
  }
  if (filter.action) query = query.where("action", "=", filter.action);
  if (filter.actorId) query = query.where("actor_id", "=", filter.actorId);
  if (filter.actorEmail) {
    const email = filter.actorEmail;
    // lower() on both sides, so that the database's idea of case applies to each alike.
    query = query.where((eb) =>
      eb(eb.fn("lower", ["actor_email"]), "=", eb.fn("lower", [eb.val(email)])),
    );
  }
  if (filter.from) query = query.where("created_at", ">=", filter.from);
  if (filter.to) query = query.where("created_at", "<", filter.to);
  if (page.beforeId) query = query.where("id", "<", page.beforeId);
  return query.orderBy("id", "desc").limit(page.limit).execute() as Promise<StoredAuditEvent[]>;
}

/** Every event of a scope, in batches, for streaming exports: memory stays one batch deep. */
export async function* auditEventBatches(
  db: Executor,
  filter: AuditFilter,
  batchSize = 2000,
): AsyncGenerator<StoredAuditEvent[]> {
  let beforeId: string | undefined;
  for (;;) {
    const batch = await listAuditEvents(db, filter, { limit: batchSize, beforeId });
    if (batch.length > 0) yield batch;
    if (batch.length < batchSize) return;
    beforeId = batch[batch.length - 1]?.id;
  }
}

/** Every event of a scope, one at a time (read in batches). */
export async function* allAuditEvents(
  db: Executor,
  filter: AuditFilter,
): AsyncGenerator<StoredAuditEvent> {
  for await (const batch of auditEventBatches(db, filter)) yield* batch;
}

/** The ids an account acts under in the audit log: its own and those of its API keys. */
export async function actorIdsOfUser(db: Executor, userId: string): Promise<Set<string>> {
  const keys = await db.selectFrom("api_keys").select("id").where("user_id", "=", userId).execute();
  return new Set([userId, ...keys.map((k) => k.id)]);
}
