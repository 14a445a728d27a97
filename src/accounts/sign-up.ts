import { recordAuditEvent } from "../audit/audit-events.js";
import { isUniqueViolation } from "../db/errors.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { enqueueEmail } from "../mail/outbox.js";
import { verificationEmail } from "../mail/templates.js";
import { POLICIES, takeAttempt } from "../rate-limit/rate-limit.js";
import { type IssuedSession, startSession } from "../sessions/sessions.service.js";
import { accountLink, requireEmail, requireName, requireStrongPassword } from "./account-input.js";
import { issueAccountToken } from "./account-tokens.js";
import { findUserByCanonicalEmail, insertUser } from "./accounts.queries.js";
import { toUser, type User } from "./user.js";

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
  invitationToken?: string | undefined;
}

/**
 * Creates an account and signs it in. The account, its first session, its verification email
 * and its audit event commit together; two sign-ups racing for one address (in any letter
 * case) meet at the unique index on the canonical email, and one of them gets email_taken.
 */
export async function signUp(
  deps: Deps,
  input: SignUpInput,
  meta: RequestMeta,
): Promise<{ user: User; session: IssuedSession }> {
  const { config } = deps;
  if (config.signup === "invite-only" && !input.invitationToken) {
    throw fail("signup_disabled", "This instance accepts new accounts by invitation only.");
  }
  const { email, canonical } = requireEmail(input.email);
  const name = requireName(input.name);
  requireStrongPassword(config, input.password, { email, name });
  if (input.invitationToken !== undefined) {
    // Invitations arrive with organizations; until then no token is alive.
    throw fail("not_found", "This invitation link is not valid.");
  }

  const limit = await takeAttempt(
    deps.db,
    [{ key: `signup:ip:${meta.ipAddress}`, policy: POLICIES.signUpPerAddress }],
    meta.now,
  );
  if (!limit.allowed) {
    throw fail("rate_limited", "Too many sign-ups from this address; try again later.", {
      retryAfter: limit.retryAfter,
    });
  }
  // Not a security boundary (the unique index is): it spares a hash for a taken address.
  if (await findUserByCanonicalEmail(deps.db, canonical)) {
    throw fail("email_taken", "An account with this email address already exists.");
  }
  const passwordHash = await deps.passwords.hash(input.password);

  try {
    return await transaction(deps.db, async (tx) => {
      const row = {
        id: newId("usr", meta.now.getTime()),
        email,
        email_canonical: canonical,
        name,
        password_hash: passwordHash,
        email_verified_at: null,
        disabled_at: null,
        created_at: meta.now,
        updated_at: meta.now,
      };
      await insertUser(tx.db, row);
      const session = await startSession(deps, tx, row.id, meta);
      const token = await issueAccountToken(tx.db, {
        userId: row.id,
        purpose: "email_verification",
        email,
        now: meta.now,
      });
      await enqueueEmail(
        tx,
        verificationEmail(email, name, accountLink(config, "verify-email", token)),
        meta.now,
      );
      await recordAuditEvent(tx, meta, {
        action: "user.signed_up",
        actor: { type: "user", id: row.id, email },
        subjectUserId: row.id,
        target: { type: "user", id: row.id },
      });
      return { user: toUser(row), session };
    });
  } catch (error) {
    if (isUniqueViolation(error, "users_email_canonical_key")) {
      throw fail("email_taken", "An account with this email address already exists.");
    }
    throw error;
  }
}
