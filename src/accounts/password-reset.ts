import { revokeAllUserApiKeys } from "../api-keys/api-keys.queries.js";
import { recordAuditEvent, userActor } from "../audit/audit-events.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { enqueueEmail } from "../mail/outbox.js";
import { passwordChangedNotice, passwordResetEmail } from "../mail/templates.js";
import {
  limitTokenGuesses,
  POLICIES,
  perAddress,
  requireAttempt,
  takeAttempt,
} from "../rate-limit/rate-limit.js";
import { endUserSessions } from "../sessions/sessions.service.js";
import { accountLink, requireEmail, requireStrongPassword } from "./account-input.js";
import {
  consumeAccountToken,
  findLiveAccountToken,
  issueAccountToken,
  voidAccountTokens,
} from "./account-tokens.js";
import { findUserByCanonicalEmail, findUserById, updateUser } from "./accounts.queries.js";

const DEAD_LINK = "This password reset link is invalid or has expired; ask for a new one.";

/**
 * Emails a single-use reset link (valid for an hour) if an account has this address. The
 * caller answers 202 either way, so the answer says nothing about which addresses exist.
 */
export async function requestPasswordReset(
  deps: Deps,
  input: { email: string },
  meta: RequestMeta,
): Promise<void> {
  const { canonical } = requireEmail(input.email);
  await requireAttempt(
    deps.db,
    [{ key: perAddress("reset", meta.ipAddress), policy: POLICIES.emailsPerAddress }],
    meta.now,
    "Too many reset requests from this address; try again later.",
  );
  // Past the per-account limit nothing more is sent, silently: answering differently would
  // reveal that the account exists, and sending would let anyone flood its inbox.
  const perAccount = await takeAttempt(
    deps.db,
    [{ key: `reset:account:${canonical}`, policy: POLICIES.emailsPerAccount }],
    meta.now,
  );
  if (!perAccount.allowed) return;

  const user = await findUserByCanonicalEmail(deps.db, canonical);
  if (!user || user.disabled_at) return;
  await transaction(deps.db, async (tx) => {
    const token = await issueAccountToken(tx.db, {
      userId: user.id,
      purpose: "password_reset",
      email: user.email,
      now: meta.now,
    });
    await enqueueEmail(
      tx,
      passwordResetEmail(user.email, user.name, accountLink(deps.config, "reset-password", token)),
      meta.now,
    );
  });
}

/**
 * Sets a new password from a reset link. The token is consumed by one DELETE … RETURNING, so
 * of two uses racing exactly one succeeds; every session of the account ends.
 */
export async function confirmPasswordReset(
  deps: Deps,
  input: { token: string; password: string },
  meta: RequestMeta,
): Promise<void> {
  await limitTokenGuesses(deps.db, meta.ipAddress, meta.now);
  // Read first (without using the token) so that a weak new password does not burn the link.
  const pending = await findLiveAccountToken(deps.db, input.token, ["password_reset"], meta.now);
  if (!pending) throw fail("not_found", DEAD_LINK);
  const owner = await findUserById(deps.db, pending.user_id);
  if (!owner) throw fail("not_found", DEAD_LINK);
  requireStrongPassword(deps.config, input.password, owner);
  const passwordHash = await deps.passwords.hash(input.password);

  await transaction(deps.db, async (tx) => {
    const token = await consumeAccountToken(tx.db, input.token, ["password_reset"], meta.now);
    if (!token) throw fail("not_found", DEAD_LINK);
    const user = await updateUser(tx.db, token.user_id, {
      password_hash: passwordHash,
      // Following the link proved the mailbox, if it is still the account's address.
      ...(token.email === owner.email && !owner.email_verified_at
        ? { email_verified_at: meta.now }
        : {}),
      updated_at: meta.now,
    });
    if (!user) throw fail("not_found", DEAD_LINK);
    // Whoever held the account before the reset (say, someone who signed up with this address
    // first) must not keep a way in: not a session, not a key, not a pending email change.
    await voidAccountTokens(tx, user.id, {
      actor: userActor(user),
      meta,
      reason: "password_reset",
      now: meta.now,
    });
    const ended = await endUserSessions(deps, tx, user.id);
    const revokedKeys = await revokeAllUserApiKeys(tx.db, user.id, meta.now);
    await enqueueEmail(tx, passwordChangedNotice(user.email, user.name, "reset"), meta.now);
    await recordAuditEvent(tx, meta, {
      action: "user.password_reset",
      actor: userActor(user),
      subjectUserId: user.id,
      metadata: { sessionsRevoked: ended.length, apiKeysRevoked: revokedKeys.length },
    });
  });
}
