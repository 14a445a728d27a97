import { type Kysely, sql, type Transaction } from "kysely";
import { CALLER_ACCOUNT_COLUMNS } from "../accounts/accounts.queries.js";
import type { DB, SessionRow } from "../db/schema.js";

type Executor = Kysely<DB> | Transaction<DB>;

export async function insertSession(db: Executor, row: SessionRow): Promise<void> {
  await db.insertInto("sessions").values(row).execute();
}

/** The session and its account in one read: the only query of an uncached authenticated request. */
export function findSessionWithUser(db: Executor, tokenHash: string) {
  return db
    .selectFrom("sessions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .select([
      "s.id",
      "s.created_at",
      "s.authenticated_at",
      "s.renewed_at",
      "s.expires_at",
      "s.last_active_at",
      ...CALLER_ACCOUNT_COLUMNS,
    ])
    .where("s.token_hash", "=", tokenHash)
    .executeTakeFirst();
}

export async function sessionExists(db: Executor, id: string): Promise<boolean> {
  const row = await db.selectFrom("sessions").select("id").where("id", "=", id).executeTakeFirst();
  return row !== undefined;
}

/**
 * A sliding renewal, or a new token for the session (re-authentication, password change).
 * Matches nothing once the session is gone, so a revoked session stays revoked: false then.
 */
export async function updateSession(
  db: Executor,
  id: string,
  changes: Partial<
    Pick<
      SessionRow,
      "token_hash" | "authenticated_at" | "renewed_at" | "expires_at" | "last_active_at"
    >
  >,
): Promise<boolean> {
  const row = await db
    .updateTable("sessions")
    .set(changes)
    .where("id", "=", id)
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

export async function touchSession(db: Executor, id: string, lastActiveAt: Date): Promise<void> {
  await db
    .updateTable("sessions")
    .set({ last_active_at: lastActiveAt })
    .where("id", "=", id)
    .execute();
}

/** Deletes one of the user's sessions; another user's id matches nothing. */
export async function deleteSession(db: Executor, userId: string, id: string): Promise<boolean> {
  const row = await db
    .deleteFrom("sessions")
    .where("id", "=", id)
    .where("user_id", "=", userId)
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteUserSessions(
  db: Executor,
  userId: string,
  exceptId?: string,
): Promise<string[]> {
  let query = db.deleteFrom("sessions").where("user_id", "=", userId);
  if (exceptId) query = query.where("id", "<>", exceptId);
  const rows = await query.returning("id").execute();
  return rows.map((r) => r.id);
}

export function listUserSessions(
  db: Executor,
  userId: string,
  page: { limit: number; beforeId?: string | undefined; now: Date },
) {
  let query = db
    .selectFrom("sessions")
    .select([
      "id",
      "created_at",
      "last_active_at",
      "expires_at",
      "ip_address",
      "user_agent",
      "device_browser",
      "device_browser_version",
      "device_os",
      "device_kind",
    ])
    .where("user_id", "=", userId)
    .where("expires_at", ">", page.now);
  if (page.beforeId) query = query.where("id", "<", page.beforeId);
  return query.orderBy("id", "desc").limit(page.limit).execute();
}

export async function deleteExpiredSessions(
  db: Executor,
  now: Date,
  maxAgeMs: number,
): Promise<void> {
  await db
    .deleteFrom("sessions")
    .where((eb) =>
      eb.or([
        eb("expires_at", "<=", now),
        eb("created_at", "<=", new Date(now.getTime() - maxAgeMs)),
      ]),
    )
    .execute();
}

export async function countUserSessions(db: Executor, userId: string): Promise<number> {
  const row = await db
    .selectFrom("sessions")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_id", "=", userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Tells every process (this one included) of a change that ends sessions or alters an
 * account; PostgreSQL delivers it when the transaction commits, and drops it on rollback.
 */
export async function notifyAuthChange(db: Executor, payload: string): Promise<void> {
  await sql`SELECT pg_notify('atrium_auth', ${payload})`.execute(db);
}
