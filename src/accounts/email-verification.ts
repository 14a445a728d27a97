import type { PersonCaller } from "../access/caller.js";
import { permit } from "../access/policy.js";
import { actorOf, recordAuditEvent, userActor } from "../audit/audit-events.js";
import { isUniqueViolation } from "../db/errors.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { checkEmail } from "../lib/email-address.js";
import { fail } from "../lib/errors.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { enqueueEmail } from "../mail/outbox.js";
import {
  emailChangeConfirmation,
  emailChangedNotice,
  emailChangeNotice,
  verificationEmail,
} from "../mail/templates.js";
import { lookUpGuessedToken, POLICIES, requireAttempt } from "../rate-limit/rate-limit.js";
import { publishAuthChange } from "../sessions/auth-changes.js";
import { sessionExists } from "../sessions/sessions.queries.js";
import { accountLink, requireEmail } from "./account-input.js";
import { consumeAccountToken, issueAccountToken, voidAccountTokens } from "./account-tokens.js";
import {
  deleteEmailChangeTokens,
  findPendingEmailChange,
  findUserByCanonicalEmail,
  lockUser,
  updateUser,
} from "./accounts.queries.js";

const DEAD_LINK = "This verification link is invalid or has expired; ask for a new one.";

async function limitEmailsTo(deps: Deps, userId: string, meta: RequestMeta): Promise<void> {
  await requireAttempt(
    deps.db,
    [{ key: `mail:account:${userId}`, policy: POLICIES.emailsPerAccount }],
    meta.now,
    "Too many emails were sent to this account; try again later.",
  );
}

/** Sends a new verification link to the account's address; the previous link stops working. */
export async function resendVerification(
  deps: Deps,
  auth: PersonCaller,
  meta: RequestMeta,
): Promise<void> {
  permit(deps, auth, "account.resend_verification", meta.now);
  if (auth.user.emailVerifiedAt) throw fail("conflict", "This email address is already verified.");
  await limitEmailsTo(deps, auth.user.id, meta);
  await transaction(deps.db, async (tx) => {
    const token = await issueAccountToken(tx.db, {
      userId: auth.user.id,
      purpose: "email_verification",
      email: auth.user.email,
      now: meta.now,
    });
    await enqueueEmail(
      tx,
      verificationEmail(
        auth.user.email,
        auth.user.name,
        accountLink(deps.config, "verify-email", token),
      ),
      meta.now,
    );
  });
}

/**
 * Asks to move the account to a new address. Nothing changes until the new address proves
 * itself by its link; the current address is told at once.
 */
export async function requestEmailChange(
  deps: Deps,
  caller: PersonCaller,
  input: { newEmail: string },
  meta: RequestMeta,
): Promise<void> {
  const auth = permit(deps, caller, "account.change_email", meta.now);
  const { email: newEmail, canonical } = requireEmail(input.newEmail, "newEmail");
  const current = checkEmail(auth.user.email);
  if (current.ok && current.canonical === canonical) {
    throw fail("invalid_request", "This is already your email address.", {
      details: [{ field: "newEmail", problem: "is the current address" }],
    });
  }
  // Counted before the lookup: a signed-in account must not probe which addresses exist.
  await limitEmailsTo(deps, auth.user.id, meta);
  if (await findUserByCanonicalEmail(deps.db, canonical)) {
    throw fail("email_taken", "Another account already uses this email address.");
  }
  await transaction(deps.db, async (tx) => {
    // Every action that voids the account's links holds this lock until it commits: the
    // session is looked up after it, so one signed out meanwhile cannot leave a fresh link.
    await lockUser(tx.db, auth.user.id);
    if (!(await sessionExists(tx.db, auth.session.id))) {
      throw fail("unauthenticated", "Your session has ended; sign in again.");
    }
    const token = await issueAccountToken(tx.db, {
      userId: auth.user.id,
      purpose: "email_change",
      email: newEmail,
      now: meta.now,
    });
    const { name, email } = auth.user;
    await enqueueEmail(
      tx,
      emailChangeConfirmation(newEmail, name, accountLink(deps.config, "verify-email", token)),
      meta.now,
    );
    await enqueueEmail(tx, emailChangeNotice(email, name, newEmail), meta.now);
    await recordAuditEvent(tx, meta, {
      action: "user.email_change_requested",
      actor: actorOf(auth),
      subjectUserId: auth.user.id,
      metadata: { newEmail },
    });
  });
}

export interface PendingEmail {
  email: string;
  requestedAt: string;
  expiresAt: string;
}

/** The email change waiting for its link, so that the console shows it after a reload too. */
export async function pendingEmailChange(
  deps: Deps,
  caller: PersonCaller,
  now: Date,
): Promise<PendingEmail | null> {
  permit(deps, caller, "account.show_email_change", now);
  const token = await findPendingEmailChange(deps.db, caller.user.id, now);
  if (!token) return null;
  return {
    email: token.email,
    requestedAt: token.created_at.toISOString(),
    expiresAt: token.expires_at.toISOString(),
  };
}

/**
 * Withdraws a pending email change: its link stops working. Nothing pending is no error (the
 * link may have just been used or expired); only a live change withdrawn is audited.
 */
export async function cancelEmailChange(
  deps: Deps,
  caller: PersonCaller,
  meta: RequestMeta,
): Promise<void> {
  permit(deps, caller, "account.cancel_email_change", meta.now);
  await transaction(deps.db, async (tx) => {
    for (const newEmail of await deleteEmailChangeTokens(tx.db, caller.user.id, meta.now)) {
      await recordAuditEvent(tx, meta, {
        action: "user.email_change_cancelled",
        actor: actorOf(caller),
        subjectUserId: caller.user.id,
        target: { type: "user", id: caller.user.id },
        metadata: { newEmail, reason: "cancelled" },
      });
    }
  });
}

/**
 * Uses a verification link: either it verifies the account's address, or (for a link sent by
 * an email change) the new address becomes the account's, verified.
 */
export async function verifyEmail(
  deps: Deps,
  input: { token: string },
  meta: RequestMeta,
): Promise<void> {
  try {
    const used = await lookUpGuessedToken(deps.db, meta, input.token, () =>
      transaction(deps.db, async (tx) => {
        const token = await consumeAccountToken(
          tx.db,
          input.token,
          ["email_verification", "email_change"],
          meta.now,
        );
        if (!token) return undefined;
        const user = await lockUser(tx.db, token.user_id);
        if (!user) throw fail("not_found", DEAD_LINK);
        const actor = userActor(user);

        if (token.purpose === "email_verification") {
          // A link sent to an address the account no longer has proves nothing about the account.
          if (token.email !== user.email) throw fail("not_found", DEAD_LINK);
          if (!user.email_verified_at) {
            await updateUser(tx.db, user.id, { email_verified_at: meta.now, updated_at: meta.now });
            await publishAuthChange(tx, deps.sessionCache, { userId: user.id });
          }
          await recordAuditEvent(tx, meta, {
            action: "user.email_verified",
            actor,
            subjectUserId: user.id,
            metadata: { email: user.email },
          });
          return true;
        }

        const { email: newEmail, canonical } = requireEmail(token.email);
        await updateUser(tx.db, user.id, {
          email: newEmail,
          email_canonical: canonical,
          email_verified_at: meta.now,
          updated_at: meta.now,
        });
        // Links sent before the move (a reset to the old address, say) end with it.
        await voidAccountTokens(tx, user.id, {
          actor,
          meta,
          reason: "email_changed",
          now: meta.now,
        });
        await publishAuthChange(tx, deps.sessionCache, { userId: user.id });
        await enqueueEmail(tx, emailChangedNotice(user.email, user.name, newEmail), meta.now);
        await recordAuditEvent(tx, meta, {
          action: "user.email_changed",
          actor,
          subjectUserId: user.id,
          metadata: { from: user.email, to: newEmail },
        });
        return true;
      }),
    );
    if (!used) throw fail("not_found", DEAD_LINK);
  } catch (error) {
    if (isUniqueViolation(error, "users_email_canonical_key")) {
      throw fail("email_taken", "Another account took this email address in the meantime.");
    }
    throw error;
  }
}
