import type { Kysely, Transaction } from "kysely";
import type { AccountTokenPurpose, AccountTokenRow, DB } from "../db/schema.js";

type Executor = Kysely<DB> | Transaction<DB>;

export async function insertAccountToken(db: Executor, row: AccountTokenRow): Promise<void> {
  await db.insertInto("account_tokens").values(row).execute();
}

/** A token by its hash, if unexpired and issued under its account's current credentials epoch. */
export function findLiveAccountTokenByHash(
  db: Executor,
  tokenHash: string,
  purposes: AccountTokenPurpose[],
  now: Date,
): Promise<AccountTokenRow | undefined> {
  return db
    .selectFrom("account_tokens as t")
    .innerJoin("users as u", "u.id", "t.user_id")
    .selectAll("t")
    .where("t.token_hash", "=", tokenHash)
    .where("t.purpose", "in", purposes)
    .where("t.expires_at", ">", now)
    .whereRef("t.credentials_epoch", "=", "u.credentials_epoch")
    .executeTakeFirst();
}

/** Deletes a token by its hash and returns it: of two racing deletes, one gets the row. */
export function deleteAccountTokenByHash(
  db: Executor,
  tokenHash: string,
  purposes: AccountTokenPurpose[],
): Promise<AccountTokenRow | undefined> {
  return db
    .deleteFrom("account_tokens")
    .where("token_hash", "=", tokenHash)
    .where("purpose", "in", purposes)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes the account's tokens of these purposes; returns what they were for. */
export function deleteUserAccountTokens(
  db: Executor,
  userId: string,
  purposes: AccountTokenPurpose[],
) {
  return db
    .deleteFrom("account_tokens")
    .where("user_id", "=", userId)
    .where("purpose", "in", purposes)
    .returning(["purpose", "email", "expires_at"])
    .execute();
}

export async function deleteExpiredAccountTokens(db: Executor, now: Date): Promise<void> {
  await db.deleteFrom("account_tokens").where("expires_at", "<=", now).execute();
}
