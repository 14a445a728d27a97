import type { Caller } from "../access/caller.js";
import { permit } from "../access/policy.js";
import { revokeAllUserApiKeys } from "../api-keys/api-keys.queries.js";
import { actorOf, recordAuditEvent } from "../audit/audit-events.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import { publishAuthChange } from "../sessions/auth-changes.js";
import { endUserSessions } from "../sessions/sessions.service.js";
import { requireEmail } from "./account-input.js";
import { voidAccountTokens } from "./account-tokens.js";
import { findUserByCanonicalEmail, updateUser } from "./accounts.queries.js";

/** Operator actions: what `atrium users …` and `atrium sessions …` do. */

async function getUserByEmail(deps: Deps, email: string) {
  const user = await findUserByCanonicalEmail(deps.db, requireEmail(email).canonical);
  if (!user) throw fail("not_found", `No account has the email address ${email}.`);
  return user;
}

export interface AccountSummary {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  disabled: boolean;
  createdAt: string;
}

function summarise(row: {
  id: string;
  email: string;
  name: string;
  email_verified_at: Date | null;
  disabled_at: Date | null;
  created_at: Date;
}): AccountSummary {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified_at !== null,
    disabled: row.disabled_at !== null,
    createdAt: row.created_at.toISOString(),
  };
}

/** Accounts, oldest first, optionally those whose email or name contains `q`. */
export async function listAccounts(
  deps: Deps,
  caller: Caller,
  options: { q?: string | undefined; limit: number; after?: string | undefined },
) {
  permit(deps, caller, "operator.accounts", deps.clock.now());
  let query = deps.db
    .selectFrom("users")
    .select(["id", "email", "name", "email_verified_at", "disabled_at", "created_at"]);
  if (options.q) {
    const pattern = `%${options.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([eb("email", "ilike", pattern), eb("name", "ilike", pattern)]),
    );
  }
  if (options.after) query = query.where("id", ">", options.after);
  const rows = await query.orderBy("id").limit(options.limit).execute();
  return rows.map(summarise);
}

export async function showAccount(deps: Deps, caller: Caller, email: string) {
  permit(deps, caller, "operator.accounts", deps.clock.now());
  const user = await getUserByEmail(deps, email);
  const [organizations, sessions, keys] = await Promise.all([
    deps.db
      .selectFrom("organization_members as m")
      .innerJoin("organizations as o", "o.id", "m.organization_id")
      .select(["o.id", "o.slug", "o.name", "m.role"])
      .where("m.user_id", "=", user.id)
      .orderBy("m.id")
      .execute(),
    deps.db
      .selectFrom("sessions")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", user.id)
      .executeTakeFirstOrThrow(),
    deps.db
      .selectFrom("api_keys")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", user.id)
      .where("revoked_at", "is", null)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    ...summarise(user),
    organizations,
    sessions: Number(sessions.n),
    apiKeys: Number(keys.n),
  };
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
      ...summarise(updated),
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
