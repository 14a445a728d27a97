import {
  callerAccountOf,
  currentSessionIdOf,
  type PersonCaller,
  type SessionCaller,
} from "../access/caller.js";
import { permit } from "../access/policy.js";
import { voidAccountTokens } from "../accounts/account-tokens.js";
import { actorOf, recordAuditEvent } from "../audit/audit-events.js";
import { type Tx, transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import { readPage } from "../lib/page.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { hashToken, isWellFormedToken, newToken } from "../lib/tokens.js";
import { sessionsCreated, sessionsRevoked } from "../metrics/metrics.js";
import { publishAuthChange } from "./auth-changes.js";
import { type Device, deviceOf, parseDevice } from "./session-device.js";
import {
  deleteSession,
  deleteUserSessions,
  findSessionWithUser,
  insertSession,
  listUserSessions,
  touchSession,
  updateSession,
} from "./sessions.queries.js";

// last_active_at is written at most this often per session: reads must not write every time.
const TOUCH_INTERVAL_MS = 60_000;

export interface IssuedSession {
  token: string;
  expiresAt: Date;
}

function expiryFor(deps: Deps, createdAt: Date, now: Date): Date {
  return new Date(
    Math.min(
      now.getTime() + deps.config.sessionTtlMs,
      createdAt.getTime() + deps.config.sessionMaxAgeMs,
    ),
  );
}

/**
 * Creates a session for a user who just authenticated; the token goes only into the cookie.
 * `authenticatedAt` is when they proved who they are, if earlier than now (a social provider's
 * `auth_time`): freshness counts from it.
 */
export async function startSession(
  deps: Deps,
  tx: Tx,
  userId: string,
  meta: RequestMeta,
  authenticatedAt: Date = meta.now,
): Promise<IssuedSession> {
  const token = newToken();
  const expiresAt = expiryFor(deps, meta.now, meta.now);
  tx.afterCommit(() => sessionsCreated.inc());
  const userAgent = meta.userAgent?.slice(0, 512) ?? null;
  await insertSession(tx.db, {
    id: newId("ses", meta.now.getTime()),
    token_hash: hashToken(token),
    user_id: userId,
    created_at: meta.now,
    authenticated_at: authenticatedAt,
    renewed_at: meta.now,
    expires_at: expiresAt,
    last_active_at: meta.now,
    ip_address: meta.ipAddress,
    user_agent: userAgent,
    // Parsed here, once per session, so that listing sessions parses nothing.
    ...parseDevice(userAgent),
  });
  return { token, expiresAt };
}

export interface ValidatedSession {
  state: SessionCaller;
  /** Set when this request renewed the session: the cookie must be sent again with the new life. */
  renewed?: IssuedSession;
}

/**
 * Resolves a session cookie to its session and account, or undefined when it is unknown,
 * expired or revoked. Usually answered from the cache; writes only to renew (once per
 * ATRIUM_SESSION_REFRESH) or to record activity (once a minute).
 */
export async function validateSession(
  deps: Deps,
  token: string,
  now: Date,
): Promise<ValidatedSession | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  const tokenHash = hashToken(token);
  const nowMs = now.getTime();
  const cached = await deps.sessionCache.getOrLoad(tokenHash, nowMs, async () => {
    const row = await findSessionWithUser(deps.db, tokenHash);
    if (!row || row.disabled_at) return undefined;
    return {
      kind: "session" as const,
      session: {
        id: row.id,
        createdAt: row.created_at,
        authenticatedAt: row.authenticated_at,
        renewedAt: row.renewed_at,
        expiresAt: row.expires_at,
        lastActiveAt: row.last_active_at,
      },
      user: callerAccountOf(row),
    };
  });
  if (cached?.kind !== "session") return undefined;
  let state = cached;
  const { session } = state;
  if (
    session.expiresAt.getTime() <= nowMs ||
    session.createdAt.getTime() + deps.config.sessionMaxAgeMs <= nowMs
  ) {
    return undefined;
  }

  if (nowMs - session.renewedAt.getTime() >= deps.config.sessionRefreshMs) {
    const expiresAt = expiryFor(deps, session.createdAt, now);
    if (
      !(await updateSession(deps.db, session.id, {
        renewed_at: now,
        expires_at: expiresAt,
        last_active_at: now,
      }))
    ) {
      deps.sessionCache.apply({ sessionId: session.id });
      return undefined;
    }
    const renewedState = {
      ...state,
      session: { ...session, renewedAt: now, expiresAt, lastActiveAt: now },
    };
    deps.sessionCache.update(tokenHash, renewedState);
    return { state: renewedState, renewed: { token, expiresAt } };
  }
  if (nowMs - session.lastActiveAt.getTime() >= TOUCH_INTERVAL_MS) {
    await touchSession(deps.db, session.id, now);
    state = { ...state, session: { ...session, lastActiveAt: now } };
    deps.sessionCache.update(tokenHash, state);
  }
  return { state };
}

/**
 * Gives the current session a new token and marks it freshly authenticated. Called after the
 * password was verified (re-authentication, password change): every authentication issues a
 * new token, so a token seen before it is useless after.
 */
export async function renewSessionAuthentication(
  deps: Deps,
  tx: Tx,
  state: SessionCaller,
  now: Date,
  authenticatedAt: Date = now,
): Promise<IssuedSession> {
  const token = newToken();
  const expiresAt = expiryFor(deps, state.session.createdAt, now);
  const found = await updateSession(tx.db, state.session.id, {
    token_hash: hashToken(token),
    authenticated_at: authenticatedAt,
    renewed_at: now,
    expires_at: expiresAt,
    last_active_at: now,
  });
  if (!found) throw fail("unauthenticated", "Your session has ended; sign in again.");
  await publishAuthChange(tx, deps.sessionCache, { sessionId: state.session.id });
  return { token, expiresAt };
}

export interface SessionView {
  id: string;
  current: boolean;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
  ipAddress: string | null;
  userAgent: string | null;
  device: Device;
}

/** The account's live sessions, newest first. */
export async function listSessions(
  deps: Deps,
  state: PersonCaller,
  page: { limit: number; cursor: string | undefined },
  now: Date,
): Promise<{ items: SessionView[]; nextCursor: string | null }> {
  permit(deps, state, "sessions.list", now);
  return readPage(
    page.limit,
    (limit) => listUserSessions(deps.db, state.user.id, { limit, beforeId: page.cursor, now }),
    (row) => ({
      id: row.id,
      current: row.id === currentSessionIdOf(state),
      createdAt: row.created_at.toISOString(),
      lastActiveAt: row.last_active_at.toISOString(),
      expiresAt: row.expires_at.toISOString(),
      ipAddress: row.ip_address,
      userAgent: row.user_agent,
      device: deviceOf(row),
    }),
  );
}

/** Revokes one of the account's own sessions; any other id is not found and nothing changes. */
export async function revokeSession(
  deps: Deps,
  state: PersonCaller,
  sessionId: string,
  meta: RequestMeta,
): Promise<void> {
  permit(deps, state, "sessions.revoke", meta.now);
  await transaction(deps.db, async (tx) => {
    if (!(await deleteSession(tx.db, state.user.id, sessionId))) {
      throw fail("not_found", "No such session.");
    }
    tx.afterCommit(() => sessionsRevoked.inc());
    await publishAuthChange(tx, deps.sessionCache, { sessionId });
    await recordAuditEvent(tx, meta, {
      action: "session.revoked",
      actor: actorOf(state),
      subjectUserId: state.user.id,
      target: { type: "session", id: sessionId },
      metadata: { current: sessionId === currentSessionIdOf(state) },
    });
  });
}

/**
 * Signs out every other device: revokes all of the account's sessions but this one, and the
 * account's pending links, so that another device's email change request dies with it.
 */
export async function revokeOtherSessions(
  deps: Deps,
  caller: PersonCaller,
  meta: RequestMeta,
): Promise<number> {
  const state = permit(deps, caller, "sessions.revoke_others", meta.now);
  return transaction(deps.db, async (tx) => {
    const ids = await endUserSessions(deps, tx, state.user.id, state.session.id);
    await voidAccountTokens(tx, state.user.id, {
      actor: actorOf(state),
      meta,
      reason: "sessions_revoked",
      now: meta.now,
    });
    await recordAuditEvent(tx, meta, {
      action: "session.revoked",
      actor: actorOf(state),
      subjectUserId: state.user.id,
      metadata: { scope: "others", count: ids.length },
    });
    return ids.length;
  });
}

/** Deletes the user's sessions (all, or all but one) and evicts them everywhere. */
export async function endUserSessions(
  deps: Deps,
  tx: Tx,
  userId: string,
  exceptId?: string,
): Promise<string[]> {
  const ids = await deleteUserSessions(tx.db, userId, exceptId);
  tx.afterCommit(() => sessionsRevoked.inc(ids.length));
  if (exceptId === undefined) {
    await publishAuthChange(tx, deps.sessionCache, { userId });
  } else {
    for (const sessionId of ids) await publishAuthChange(tx, deps.sessionCache, { sessionId });
  }
  return ids;
}

/** Ends the session this request came through. */
export async function signOut(deps: Deps, caller: PersonCaller, meta: RequestMeta): Promise<void> {
  const state = permit(deps, caller, "session.sign_out", meta.now);
  await transaction(deps.db, async (tx) => {
    if (await deleteSession(tx.db, state.user.id, state.session.id)) {
      tx.afterCommit(() => sessionsRevoked.inc());
    }
    await publishAuthChange(tx, deps.sessionCache, { sessionId: state.session.id });
    await recordAuditEvent(tx, meta, {
      action: "user.signed_out",
      actor: actorOf(state),
      subjectUserId: state.user.id,
      target: { type: "session", id: state.session.id },
    });
  });
}
