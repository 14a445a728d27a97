import type { PersonCaller } from "../access/caller.js";
import { permit } from "../access/policy.js";
import { actorOf, recordAuditEvent, userActor } from "../audit/audit-events.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { revokeInvitationsBeyondAuthority } from "../invitations/inviter-authority.js";
import { requireDisplayName } from "../lib/display-name.js";
import { fail } from "../lib/errors.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { enqueueEmail } from "../mail/outbox.js";
import { passwordChangedNotice } from "../mail/templates.js";
import { soleOwnerships } from "../memberships/memberships.queries.js";
import {
  deleteOrganizationRow,
  lockOwnedOrganizations,
} from "../organizations/organizations.queries.js";
import { clearAttempts, POLICIES, takeAttempt } from "../rate-limit/rate-limit.js";
import { publishAuthChange } from "../sessions/auth-changes.js";
import {
  endUserSessions,
  type IssuedSession,
  renewSessionAuthentication,
} from "../sessions/sessions.service.js";
import { requireStrongPassword } from "./account-input.js";
import { voidAccountTokens } from "./account-tokens.js";
import { deleteUser, findUserById, updateUser } from "./accounts.queries.js";
import { toUser, type User, withPasswordFlag } from "./user.js";

/** The counter of password confirmations (a password reset clears it too). */
export function passwordConfirmationKey(userId: string): string {
  return `password:account:${userId}`;
}

/**
 * Checks the signed-in user's password (re-authentication, password change). Limited like
 * sign-in, so a stolen session cannot be used to guess the password.
 */
async function confirmPassword(
  deps: Deps,
  auth: PersonCaller,
  password: string,
  meta: RequestMeta,
) {
  const key = passwordConfirmationKey(auth.user.id);
  const limit = await takeAttempt(deps.db, [{ key, policy: POLICIES.signInPerAccount }], meta.now);
  const refused = async (reason: string) =>
    transaction(deps.db, (tx) =>
      recordAuditEvent(tx, meta, {
        action: "user.sign_in_failed",
        actor: actorOf(auth),
        subjectUserId: auth.user.id,
        metadata: { reason, method: "password_confirmation" },
      }),
    );
  if (!limit.allowed) {
    // One event per block, not per attempt: a flood cannot fill the audit log.
    if (limit.firstRefusal) await refused("rate_limited");
    throw fail("rate_limited", "Too many password attempts; try again later.", {
      retryAfter: limit.retryAfter,
    });
  }
  const user = await findUserById(deps.db, auth.user.id);
  if (!user?.password_hash || !(await deps.passwords.verify(user.password_hash, password))) {
    await refused("wrong_password");
    throw fail("invalid_password", "The password is incorrect.");
  }
  await clearAttempts(deps.db, key);
  return user;
}

/** Makes the session fresh again after the user proves they still know the password. */
export async function reauthenticate(
  deps: Deps,
  caller: PersonCaller,
  input: { password: string },
  meta: RequestMeta,
): Promise<IssuedSession> {
  const auth = permit(deps, caller, "session.reauthenticate", meta.now);
  const user = await confirmPassword(deps, auth, input.password, meta);
  return transaction(deps.db, async (tx) => {
    const session = await renewSessionAuthentication(deps, tx, auth, meta.now);
    await recordAuditEvent(tx, meta, {
      action: "user.signed_in",
      actor: userActor(user),
      subjectUserId: user.id,
      target: { type: "session", id: auth.session.id },
      metadata: { method: "reauthenticate" },
    });
    return session;
  });
}

export async function updateProfile(
  deps: Deps,
  auth: PersonCaller,
  input: { name?: string | undefined },
  meta: RequestMeta,
): Promise<User> {
  permit(deps, auth, "account.update_profile", meta.now);
  return transaction(deps.db, async (tx) => {
    const changes = input.name === undefined ? {} : { name: requireDisplayName(input.name) };
    const user = await updateUser(tx.db, auth.user.id, { ...changes, updated_at: meta.now });
    if (!user) throw fail("unauthenticated", "Sign in to continue.");
    if (input.name !== undefined && input.name !== auth.user.name) {
      await publishAuthChange(tx, deps.sessionCache, { userId: user.id });
      await recordAuditEvent(tx, meta, {
        action: "user.updated",
        actor: actorOf(auth),
        subjectUserId: user.id,
        metadata: { fields: ["name"] },
      });
    }
    return toUser(withPasswordFlag(user));
  });
}

/**
 * Changes the password (fresh session and the current password). The current session gets a
 * new token; with `revokeOtherSessions` every other device is signed out. Pending account
 * links (an email change asked for from a stolen session, say) all stop working.
 */
export async function changePassword(
  deps: Deps,
  caller: PersonCaller,
  input: { currentPassword: string; newPassword: string; revokeOtherSessions: boolean },
  meta: RequestMeta,
): Promise<IssuedSession> {
  const auth = permit(deps, caller, "account.change_password", meta.now);
  const user = await confirmPassword(deps, auth, input.currentPassword, meta);
  requireStrongPassword(deps.config, input.newPassword, user, "newPassword");
  const passwordHash = await deps.passwords.hash(input.newPassword);
  return transaction(deps.db, async (tx) => {
    await updateUser(tx.db, user.id, { password_hash: passwordHash, updated_at: meta.now });
    await voidAccountTokens(tx, user.id, {
      actor: userActor(user),
      meta,
      reason: "password_changed",
      now: meta.now,
    });
    const session = await renewSessionAuthentication(deps, tx, auth, meta.now);
    const ended = input.revokeOtherSessions
      ? await endUserSessions(deps, tx, user.id, auth.session.id)
      : [];
    await enqueueEmail(tx, passwordChangedNotice(user.email, user.name, "changed"), meta.now);
    await recordAuditEvent(tx, meta, {
      action: "user.password_changed",
      actor: userActor(user),
      subjectUserId: user.id,
      metadata: { otherSessionsRevoked: ended.length },
    });
    return session;
  });
}

/**
 * Deletes the account with its sessions and tokens, and revokes the invitations it sent; its
 * audit events stay. Refused with last_owner while it is the only owner of an organization
 * that has other members; an organization it alone belongs to goes with it.
 */
export async function deleteAccount(
  deps: Deps,
  caller: PersonCaller,
  meta: RequestMeta,
): Promise<void> {
  const auth = permit(deps, caller, "account.delete", meta.now);
  await transaction(deps.db, async (tx) => {
    // Lock the organizations it owns first: a concurrent promotion or join must not slip past the check.
    await lockOwnedOrganizations(tx.db, auth.user.id);
    const sole = await soleOwnerships(tx.db, auth.user.id);
    if (sole.some((o) => o.hasOtherMembers)) {
      throw fail(
        "last_owner",
        "You are the only owner of an organization with other members: make someone else an owner first.",
      );
    }
    for (const { organizationId } of sole) {
      await deleteOrganizationRow(tx.db, organizationId);
      await recordAuditEvent(tx, meta, {
        action: "organization.deleted",
        actor: actorOf(auth),
        organizationId,
        target: { type: "organization", id: organizationId },
        metadata: { reason: "last member deleted their account" },
      });
    }
    // Before the row goes: deleting it would forget who sent the invitations.
    await revokeInvitationsBeyondAuthority(tx, {
      inviterUserId: auth.user.id,
      role: null,
      reason: "inviter_deleted",
      actor: actorOf(auth),
      meta,
      now: meta.now,
    });
    await deleteUser(tx.db, auth.user.id);
    await publishAuthChange(tx, deps.sessionCache, { userId: auth.user.id });
    await recordAuditEvent(tx, meta, {
      action: "user.deleted",
      actor: actorOf(auth),
      subjectUserId: auth.user.id,
      target: { type: "user", id: auth.user.id },
    });
  });
}
