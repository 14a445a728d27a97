import { type Kysely, sql, type Transaction } from "kysely";
import type { DB, UserRow } from "../db/schema.js";

/**
 * The account's columns that a caller carries (src/access/caller.ts), read in the same query
 * as its session or API key, from `users as u`: never the password hash, only whether one is set.
 */
export const CALLER_ACCOUNT_COLUMNS = [
  "u.id as user_id",
  "u.email",
  "u.name",
  "u.email_verified_at",
  "u.disabled_at",
  "u.created_at as user_created_at",
  sql<boolean>`u.password_hash is not null`.as("has_password"),
] as const;

type Executor = Kysely<DB> | Transaction<DB>;

export function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
}

export function findUserByCanonicalEmail(
  db: Executor,
  canonical: string,
): Promise<UserRow | undefined> {
  return db
    .selectFrom("users")
    .selectAll()
    .where("email_canonical", "=", canonical)
    .executeTakeFirst();
}

/** Locks the user's row for the rest of the transaction (password and email changes). */
export function lockUser(db: Transaction<DB>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom("users").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export async function insertUser(db: Executor, row: UserRow): Promise<void> {
  await db.insertInto("users").values(row).execute();
}

export async function updateUser(
  db: Executor,
  id: string,
  changes: Partial<Omit<UserRow, "id" | "created_at">>,
): Promise<UserRow | undefined> {
  return db
    .updateTable("users")
    .set(changes)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteUser(db: Executor, id: string): Promise<void> {
  await db.deleteFrom("users").where("id", "=", id).execute();
}

/**
 * The account's live email change link, if any: unexpired and issued under the account's
 * current credentials epoch (a voided link is no pending change, even if its row remains).
 */
export function findPendingEmailChange(db: Executor, userId: string, now: Date) {
  return db
    .selectFrom("account_tokens as t")
    .innerJoin("users as u", "u.id", "t.user_id")
    .select(["t.email", "t.created_at", "t.expires_at"])
    .where("t.user_id", "=", userId)
    .where("t.purpose", "=", "email_change")
    .where("t.expires_at", ">", now)
    .whereRef("t.credentials_epoch", "=", "u.credentials_epoch")
    .orderBy("t.created_at", "desc")
    .executeTakeFirst();
}

/** Deletes the account's email change links; returns the addresses of those still live. */
export async function deleteEmailChangeTokens(
  db: Executor,
  userId: string,
  now: Date,
): Promise<string[]> {
  const rows = await db
    .deleteFrom("account_tokens")
    .where("user_id", "=", userId)
    .where("purpose", "=", "email_change")
    .returning(["email", "expires_at"])
    .execute();
  return rows.filter((row) => row.expires_at > now).map((row) => row.email);
}

/**
 * The account's credentials epoch, its row locked: issuing a link then waits for (and is
 * issued after) a concurrent voiding that moves the epoch on.
 */
export async function lockCredentialsEpoch(db: Transaction<DB>, userId: string): Promise<number> {
  const row = await db
    .selectFrom("users")
    .select("credentials_epoch")
    .where("id", "=", userId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return row.credentials_epoch;
}

export async function findCredentialsEpoch(
  db: Executor,
  userId: string,
): Promise<number | undefined> {
  const row = await db
    .selectFrom("users")
    .select("credentials_epoch")
    .where("id", "=", userId)
    .executeTakeFirst();
  return row?.credentials_epoch;
}

/** Moves the account's credentials epoch on: every link issued under the old one dies. */
export async function advanceCredentialsEpoch(db: Executor, userId: string): Promise<void> {
  await db
    .updateTable("users")
    .set((eb) => ({ credentials_epoch: eb("credentials_epoch", "+", 1) }))
    .where("id", "=", userId)
    .execute();
}

/** Accounts by id, optionally those whose email or name contains `q` (operators' listing). */
export function listUsers(
  db: Executor,
  options: { q?: string | undefined; limit: number; afterId?: string | undefined },
) {
  let query = db
    .selectFrom("users")
    .select([
      "id",
      "email",
      "name",
      "email_verified_at",
      "disabled_at",
      "created_at",
      sql<boolean>`password_hash is not null`.as("has_password"),
    ]);
  if (options.q) {
    const pattern = `%${options.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([eb("email", "ilike", pattern), eb("name", "ilike", pattern)]),
    );
  }
  if (options.afterId) query = query.where("id", ">", options.afterId);
  return query.orderBy("id").limit(options.limit).execute();
}
