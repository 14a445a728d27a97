import type { Kysely, Transaction } from "kysely";
import { type Actor, recordAuditEvent } from "../audit/audit-events.js";
import type { AccountTokenPurpose, AccountTokenRow, DB } from "../db/schema.js";
import type { Tx } from "../db/transaction.js";
import { newId } from "../lib/ids.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { hashToken, isWellFormedToken, newToken } from "../lib/tokens.js";
import {
  deleteAccountTokenByHash,
  deleteUserAccountTokens,
  findLiveAccountTokenByHash,
  insertAccountToken,
} from "./account-tokens.queries.js";
import {
  advanceCredentialsEpoch,
  findCredentialsEpoch,
  lockCredentialsEpoch,
} from "./accounts.queries.js";

export const TOKEN_TTL_MS: Record<AccountTokenPurpose, number> = {
  password_reset: 60 * 60_000,
  email_verification: 3 * 24 * 60 * 60_000,
  email_change: 24 * 60 * 60_000,
};

const ALL_PURPOSES: AccountTokenPurpose[] = [
  "email_change",
  "email_verification",
  "password_reset",
];

/**
 * Issues a one-time token for a link in an email, replacing any earlier token of the same
 * purpose for the account: only the newest link works. The token carries the account's
 * credentials epoch, so voidAccountTokens ends it even if its row were missed.
 */
export async function issueAccountToken(
  db: Transaction<DB>,
  input: { userId: string; purpose: AccountTokenPurpose; email: string; now: Date },
): Promise<string> {
  // One request at a time per account: two racing requests must not leave two live links,
  // and a link cannot be issued under an epoch that a concurrent voiding is moving on.
  const credentialsEpoch = await lockCredentialsEpoch(db, input.userId);
  await deleteUserAccountTokens(db, input.userId, [input.purpose]);
  const token = newToken();
  await insertAccountToken(db, {
    id: newId("tok", input.now.getTime()),
    token_hash: hashToken(token),
    user_id: input.userId,
    purpose: input.purpose,
    email: input.email,
    credentials_epoch: credentialsEpoch,
    created_at: input.now,
    expires_at: new Date(input.now.getTime() + TOKEN_TTL_MS[input.purpose]),
  });
  return token;
}

/**
 * A token as it is stored, if it is live: unexpired, and issued under the account's current
 * credentials epoch. Reads without using it up (a reset checks the new password first).
 */
export async function findLiveAccountToken(
  db: Kysely<DB> | Transaction<DB>,
  token: string,
  purposes: AccountTokenPurpose[],
  now: Date,
): Promise<AccountTokenRow | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  return findLiveAccountTokenByHash(db, hashToken(token), purposes, now);
}

/**
 * Uses up a token: one DELETE … RETURNING, so that of two requests racing with the same
 * token exactly one gets the row. An expired token, or one issued before the account's last
 * voiding (an older credentials epoch), is deleted too, and counts as dead.
 */
export async function consumeAccountToken(
  db: Transaction<DB>,
  token: string,
  purposes: AccountTokenPurpose[],
  now: Date,
): Promise<AccountTokenRow | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  const row = await deleteAccountTokenByHash(db, hashToken(token), purposes);
  if (!row || row.expires_at <= now) return undefined;
  if ((await findCredentialsEpoch(db, row.user_id)) !== row.credentials_epoch) return undefined;
  return row;
}

export type VoidReason =
  | "password_reset"
  | "password_changed"
  | "sessions_revoked"
  | "account_disabled"
  | "email_changed";

/**
 * Ends every pending link of the account (email change, email verification, password reset)
 * and moves its credentials epoch on, so that any link issued before now is refused even if
 * its row survived. Called by everything that throws an intruder out: a password reset or
 * change, signing out other sessions, disabling the account, a completed email change. Without
 * it, someone who had asked for an email change (a session thief, or whoever signed up with
 * the address first) keeps a link that takes the account over afterwards. A pending email
 * change that is cancelled this way is audited.
 */
export async function voidAccountTokens(
  tx: Tx,
  userId: string,
  by: { actor: Actor; meta: RequestMeta | null; reason: VoidReason; now: Date },
): Promise<void> {
  await advanceCredentialsEpoch(tx.db, userId);
  const voided = await deleteUserAccountTokens(tx.db, userId, ALL_PURPOSES);
  for (const token of voided) {
    if (token.purpose !== "email_change" || token.expires_at <= by.now) continue;
    await recordAuditEvent(
      tx,
      by.meta,
      {
        action: "user.email_change_cancelled",
        actor: by.actor,
        subjectUserId: userId,
        target: { type: "user", id: userId },
        metadata: { newEmail: token.email, reason: by.reason },
      },
      by.now,
    );
  }
}
