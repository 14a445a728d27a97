import { revokeAllUserApiKeys } from "../api-keys/api-keys.queries.js";
import { recordAuditEvent, userActor } from "../audit/audit-events.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { deleteUserIdentities } from "../identities/identities.queries.js";
import { fail } from "../lib/errors.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { enqueueEmail } from "../mail/outbox.js";
import { passwordChangedNotice, passwordResetEmail } from "../mail/templates.js";
import {
  clearAttempts,
  lookUpGuessedToken,
  POLICIES,
  perAddress,
  requireAttempt,
  takeAttempt,
} from "../rate-limit/rate-limit.js";
import { endUserSessions } from "../sessions/sessions.service.js";
import { accountLink, requireEmail, requireStrongPassword } from "./account-input.js";
import { passwordConfirmationKey } from "./account-settings.js";
import {
  consumeAccountToken,
  findLiveAccountToken,
  issueAccountToken,
  voidAccountTokens,
} from "./account-tokens.js";
import { findUserByCanonicalEmail, findUserById, updateUser } from "./accounts.queries.js";
import { forgetDevices, type IssuedDevice, rememberDevice } from "./known-devices.js";
import { accountSignInKey } from "./sign-in.js";

const DEAD_LINK = "This password reset link is invalid or has expired; ask for a new one.";

/**
 * Emails a single-use reset link (valid for an hour) if an account has this address. The
 * caller answers 202 either way, so the answer says nothing about which addresses exist; and
 * so that its timing says nothing either, everything that depends on the account (the lookup,
 * the token, the email) runs after the answer, in the same order for every address.
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
  deps.background.run("password reset request", () => sendResetLink(deps, canonical, meta));
}

async function sendResetLink(deps: Deps, canonical: string, meta: RequestMeta): Promise<void> {
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
  // The token and its email commit together (the outbox guarantee holds after the answer too).
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
 * of two uses racing exactly one succeeds; every session of the account ends. A reset is the
 * owner taking the account back: its sign-in counters start again, every known browser is
 * forgotten (an intruder's included), and the browser that used the link becomes the one
 * known device, exempt from the per-account sign-in limit.
 */
export async function confirmPasswordReset(
  deps: Deps,
  input: { token: string; password: string },
  meta: RequestMeta,
): Promise<IssuedDevice> {
  // Read first (without using the token) so that a weak new password does not burn the link.
  const pending = await lookUpGuessedToken(deps.db, meta, input.token, () =>
    findLiveAccountToken(deps.db, input.token, ["password_reset"], meta.now),
  );
  if (!pending) throw fail("not_found", DEAD_LINK);
  const owner = await findUserById(deps.db, pending.user_id);
  if (!owner) throw fail("not_found", DEAD_LINK);
  requireStrongPassword(deps.config, input.password, owner);
  const passwordHash = await deps.passwords.hash(input.password);

  return transaction(deps.db, async (tx) => {
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
    // Nor a linked identity, while the address was unproven: someone who signed up with this
    // address and linked their own provider account must not sign in with it after the
    // mailbox's owner takes the account back. Identities linked under a verified address stay.
    if (!owner.email_verified_at) {
      for (const identity of await deleteUserIdentities(tx.db, user.id)) {
        await recordAuditEvent(tx, meta, {
          action: "identity.unlinked",
          actor: userActor(user),
          subjectUserId: user.id,
          target: { type: "identity", id: identity.id },
          metadata: { provider: identity.provider, reason: "password_reset" },
        });
      }
    }
    await enqueueEmail(tx, passwordChangedNotice(user.email, user.name, "reset"), meta.now);
    await recordAuditEvent(tx, meta, {
      action: "user.password_reset",
      actor: userActor(user),
      subjectUserId: user.id,
      metadata: { sessionsRevoked: ended.length, apiKeysRevoked: revokedKeys.length },
    });
    await clearAttempts(
      tx.db,
      accountSignInKey(user.email_canonical),
      passwordConfirmationKey(user.id),
    );
    await forgetDevices(tx.db, user.id);
    return rememberDevice(tx.db, user.id, meta.now);
  });
}
