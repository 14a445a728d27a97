import { recordAuditEvent, userActor } from "../audit/audit-events.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { signIns } from "../metrics/metrics.js";
import { clearAttempts, POLICIES, perAddress, takeAttempt } from "../rate-limit/rate-limit.js";
import { type IssuedSession, startSession } from "../sessions/sessions.service.js";
import { requireEmail } from "./account-input.js";
import { findUserByCanonicalEmail } from "./accounts.queries.js";
import { type IssuedDevice, recognizeDevice, rememberDevice } from "./known-devices.js";
import { toUser, type User, withPasswordFlag } from "./user.js";

const INVALID = "The email address or password is incorrect.";

/** The per-account sign-in counter (a password reset clears it too). */
export function accountSignInKey(canonicalEmail: string): string {
  return `signin:account:${canonicalEmail}`;
}

/**
 * Signs in with email and password. An unknown email, a wrong password and a disabled account
 * look the same from outside: same status, body and (a dummy hash is verified) time. Attempts
 * are limited per client address, and per account before any hashing, except from a browser
 * that signed in to this account before (its device cookie): that browser has a counter of its
 * own, so strangers who keep the account's counter full cannot lock its owner out.
 */
export async function signIn(
  deps: Deps,
  input: { email: string; password: string; deviceToken?: string | undefined },
  meta: RequestMeta,
): Promise<{ user: User; session: IssuedSession; device: IssuedDevice }> {
  const { canonical } = requireEmail(input.email);
  const user = await findUserByCanonicalEmail(deps.db, canonical);
  const device = await recognizeDevice(deps.db, input.deviceToken, user?.id, meta.now);
  const ownKey = device ? `signin:device:${device.id}` : accountSignInKey(canonical);

  const limit = await takeAttempt(
    deps.db,
    [
      { key: ownKey, policy: POLICIES.signInPerAccount },
      { key: perAddress("signin", meta.ipAddress), policy: POLICIES.signInPerAddress },
    ],
    meta.now,
  );
  if (!limit.allowed) {
    if (limit.firstRefusal && user) {
      // One event per block, not one per attempt: a flood cannot fill the audit log.
      await transaction(deps.db, (tx) =>
        recordAuditEvent(tx, meta, {
          action: "user.sign_in_failed",
          actor: userActor(user),
          subjectUserId: user.id,
          metadata: { reason: "rate_limited" },
        }),
      );
    }
    signIns.inc({ result: "rate_limited" });
    throw fail("rate_limited", "Too many sign-in attempts; try again later.", {
      retryAfter: limit.retryAfter,
    });
  }

  if (!user?.password_hash) {
    await deps.passwords.verifyDummy(input.password);
    // The same audit write as for a wrong password, so that timing does not tell the two apart.
    await transaction(deps.db, (tx) =>
      recordAuditEvent(tx, meta, {
        action: "user.sign_in_failed",
        actor: { type: "system" },
        metadata: { reason: "unknown_account" },
      }),
    );
    signIns.inc({ result: "failure" });
    throw fail("invalid_credentials", INVALID);
  }
  const valid = await deps.passwords.verify(user.password_hash, input.password);
  if (!valid || user.disabled_at) {
    await transaction(deps.db, (tx) =>
      recordAuditEvent(tx, meta, {
        action: "user.sign_in_failed",
        actor: userActor(user),
        subjectUserId: user.id,
        metadata: { reason: valid ? "account_disabled" : "wrong_password" },
      }),
    );
    signIns.inc({ result: "failure" });
    throw fail("invalid_credentials", INVALID);
  }

  signIns.inc({ result: "success" });
  // The counter this attempt was counted on: a known browser's success leaves the account's
  // counter to the strangers who filled it, rather than handing them a fresh set of attempts.
  await clearAttempts(deps.db, ownKey);
  return transaction(deps.db, async (tx) => {
    const session = await startSession(deps, tx, user.id, meta);
    const known =
      device && input.deviceToken ? { row: device, token: input.deviceToken } : undefined;
    const remembered = await rememberDevice(tx.db, user.id, meta.now, known);
    await recordAuditEvent(tx, meta, {
      action: "user.signed_in",
      actor: userActor(user),
      subjectUserId: user.id,
      metadata: { method: "password" },
    });
    return { user: toUser(withPasswordFlag(user)), session, device: remembered };
  });
}
