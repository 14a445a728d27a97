import type { Transaction } from "kysely";
import type { AccountTokenPurpose, AccountTokenRow, DB } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import { hashToken, isWellFormedToken, newToken } from "../lib/tokens.js";

export const TOKEN_TTL_MS: Record<AccountTokenPurpose, number> = {
  password_reset: 60 * 60_000,
  email_verification: 3 * 24 * 60 * 60_000,
  email_change: 24 * 60 * 60_000,
};

/**
 * Issues a one-time token for a link in an email, replacing any earlier token of the same
 * purpose for the account: only the newest link works.
 */
export async function issueAccountToken(
  db: Transaction<DB>,
  input: { userId: string; purpose: AccountTokenPurpose; email: string; now: Date },
): Promise<string> {
  // One request at a time per account: two racing requests must not leave two live links.
  await db.selectFrom("users").select("id").where("id", "=", input.userId).forUpdate().execute();
  await db
    .deleteFrom("account_tokens")
    .where("user_id", "=", input.userId)
    .where("purpose", "=", input.purpose)
    .execute();
  const token = newToken();
  await db
    .insertInto("account_tokens")
    .values({
      id: newId("tok", input.now.getTime()),
      token_hash: hashToken(token),
      user_id: input.userId,
      purpose: input.purpose,
      email: input.email,
      created_at: input.now,
      expires_at: new Date(input.now.getTime() + TOKEN_TTL_MS[input.purpose]),
    })
    .execute();
  return token;
}

/**
 * Uses up a token: one DELETE … RETURNING, so that of two requests racing with the same
 * token exactly one gets the row. An expired token is deleted too, and counts as dead.
 */
export async function consumeAccountToken(
  db: Transaction<DB>,
  token: string,
  purposes: AccountTokenPurpose[],
  now: Date,
): Promise<AccountTokenRow | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  const row = await db
    .deleteFrom("account_tokens")
    .where("token_hash", "=", hashToken(token))
    .where("purpose", "in", purposes)
    .returningAll()
    .executeTakeFirst();
  if (!row || row.expires_at <= now) return undefined;
  return row;
}

export async function deleteAccountTokens(
  db: Transaction<DB>,
  userId: string,
  purposes: AccountTokenPurpose[],
): Promise<void> {
  await db
    .deleteFrom("account_tokens")
    .where("user_id", "=", userId)
    .where("purpose", "in", purposes)
    .execute();
}
