import type { Kysely, Transaction } from "kysely";
import type { DB, UserRow } from "../db/schema.js";

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
