import type { Caller } from "../access/caller.js";
import { permit } from "../access/policy.js";
import { countLiveUserApiKeys, revokeAllUserApiKeys } from "../api-keys/api-keys.queries.js";
import { actorOf, recordAuditEvent } from "../audit/audit-events.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import { listUserMemberships } from "../memberships/memberships.queries.js";
import { publishAuthChange } from "../sessions/auth-changes.js";
import { countUserSessions } from "../sessions/sessions.queries.js";
import { endUserSessions } from "../sessions/sessions.service.js";
import { requireEmail } from "./account-input.js";
import { voidAccountTokens } from "./account-tokens.js";
import { findUserByCanonicalEmail, listUsers, updateUser } from "./accounts.queries.js";
import { toAccountSummary, withPasswordFlag } from "./user.js";

/** Operator actions: what `atrium users …` and `atrium sessions …` do. */

async function getUserByEmail(deps: Deps, email: string) {
  const user = await findUserByCanonicalEmail(deps.db, requireEmail(email).canonical);
  if (!user) throw fail("not_found", `No account has the email address ${email}.`);
  return user;
}

/** Accounts, oldest first, optionally those whose email or name contains `q`. */
export async function listAccounts(
  deps: Deps,
  caller: Caller,
  options: { q?: string | undefined; limit: number; after?: string | undefined },
) {
  permit(deps, caller, "operator.accounts", deps.clock.now());
  const rows = await listUsers(deps.db, {
    q: options.q,
    limit: options.limit,
    afterId: options.after,
  });
  return rows.map(toAccountSummary);
}

export async function showAccount(deps: Deps, caller: Caller, email: string) {
  permit(deps, caller, "operator.accounts", deps.clock.now());
  const user = await getUserByEmail(deps, email);
  const [organizations, sessions, keys] = await Promise.all([
    listUserMemberships(deps.db, user.id),
    countUserSessions(deps.db, user.id),
    countLiveUserApiKeys(deps.db, user.id),
  ]);
  return { ...toAccountSummary(withPasswordFlag(user)), organizations, sessions, apiKeys: keys };
}

/**
 * Disables an account: it cannot sign in, its sessions end and its API keys are revoked (so
 * enabling it later brings none of them back), and its pending links die, in every process.
 * Enabling lets it sign in again.
 */
export async function setAccountDisabled(
  deps: Deps,
  caller: Caller,
  email: string,
  disabled: boolean,
) {
  const now = deps.clock.now();
  const operator = actorOf(permit(deps, caller, "operator.accounts", now));
  const user = await getUserByEmail(deps, email);
  return transaction(deps.db, async (tx) => {
    const updated = await updateUser(tx.db, user.id, {
      disabled_at: disabled ? (user.disabled_at ?? now) : null,
      updated_at: now,
    });
    if (!updated) throw fail("not_found", `No account has the email address ${email}.`);
    let ended: string[] = [];
    let revokedKeys: string[] = [];
    if (disabled) {
      ended = await endUserSessions(deps, tx, user.id);
      revokedKeys = await revokeAllUserApiKeys(tx.db, user.id, now);
      await voidAccountTokens(tx, user.id, {
        actor: operator,
        meta: null,
        reason: "account_disabled",
        now,
      });
    }
    await publishAuthChange(tx, deps.sessionCache, { userId: user.id });
    await recordAuditEvent(
      tx,
      null,
      {
        action: disabled ? "user.disabled" : "user.enabled",
        actor: operator,
        subjectUserId: user.id,
        target: { type: "user", id: user.id },
        metadata: disabled
          ? { sessionsRevoked: ended.length, apiKeysRevoked: revokedKeys.length }
          : {},
      },
      now,
    );
    return {
      ...toAccountSummary(withPasswordFlag(updated)),
      sessionsRevoked: ended.length,
      apiKeysRevoked: revokedKeys.length,
    };
  });
}

/** Signs an account out everywhere, and ends its pending links as signing out others does. */
export async function revokeAccountSessions(deps: Deps, caller: Caller, email: string) {
  const now = deps.clock.now();
  const operator = actorOf(permit(deps, caller, "operator.accounts", now));
  const user = await getUserByEmail(deps, email);
  return transaction(deps.db, async (tx) => {
    const ended = await endUserSessions(deps, tx, user.id);
    await voidAccountTokens(tx, user.id, {
      actor: operator,
      meta: null,
      reason: "sessions_revoked",
      now,
    });
    await recordAuditEvent(
      tx,
      null,
      {
        action: "session.revoked",
        actor: operator,
        subjectUserId: user.id,
        metadata: { scope: "all", count: ended.length },
      },
      now,
    );
    return { email: user.email, sessionsRevoked: ended.length };
  });
}
