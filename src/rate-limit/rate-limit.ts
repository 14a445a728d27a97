import { type Kysely, sql, type Transaction } from "kysely";
import type { DB } from "../db/schema.js";
import { fail } from "../lib/errors.js";
import { isWellFormedToken } from "../lib/tokens.js";
import { addressKey } from "./address-key.js";

/**
 * Attempts within a window: the first `free` go through at once, each one after that must wait
 * a delay that doubles (`baseDelayMs`, 1 s unless told, then twice that, … up to `maxDelayMs`),
 * and past `max` every attempt is refused until the window ends. A window always ends, so
 * nobody is locked out for ever.
 */
export interface RateLimitPolicy {
  windowMs: number;
  free: number;
  max: number;
  maxDelayMs: number;
  baseDelayMs?: number;
}

export type RateLimitOutcome =
  | { allowed: true }
  | {
      allowed: false;
      /** Seconds until an attempt may succeed. */
      retryAfter: number;
      /** The first refusal of this block: worth one audit event, the rest of a flood is not. */
      firstRefusal: boolean;
    };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A budget: `max` per window, no delays in between. */
const budget = (max: number, windowMs: number): RateLimitPolicy => ({
  windowMs,
  free: max,
  max,
  maxDelayMs: windowMs,
});

/** No window is longer than a day: the maintenance sweep drops rows a day old. */
export const POLICIES = {
  /**
   * Contract: at most 20 failures per account in 15 minutes. A delay never exceeds 5 minutes,
   * a third of the window; a browser the account signed in from before counts on its own key
   * instead (see signIn), so strangers who keep this key blocked do not lock the owner out.
   */
  signInPerAccount: { windowMs: 15 * MINUTE, free: 5, max: 20, maxDelayMs: 5 * MINUTE },
  /** Generous enough for an office behind one address, tight enough to stop spraying. */
  signInPerAddress: { windowMs: 15 * MINUTE, free: 50, max: 200, maxDelayMs: 15 * MINUTE },
  signUpPerAddress: { windowMs: HOUR, free: 30, max: 30, maxDelayMs: HOUR },
  /** Social sign-in: every start and every failed callback (each start writes a flow record). */
  socialSignInPerAddress: budget(60, 15 * MINUTE),
  /** Guessing reset, verification and invitation tokens. */
  tokenPerAddress: { windowMs: 15 * MINUTE, free: 30, max: 60, maxDelayMs: 15 * MINUTE },
  /** Mail bombing: reset and verification emails to one account. */
  emailsPerAccount: { windowMs: HOUR, free: 5, max: 5, maxDelayMs: HOUR },
  emailsPerAddress: { windowMs: HOUR, free: 20, max: 20, maxDelayMs: HOUR },
  /**
   * Invitations (created or resent, by email or link): enough to bring a team aboard in an
   * afternoon, too few to make an instance a spam relay.
   */
  invitationsPerInviterHour: budget(100, HOUR),
  invitationsPerInviterDay: budget(500, DAY),
  invitationsPerOrganizationHour: budget(200, HOUR),
  invitationsPerOrganizationDay: budget(1000, DAY),
  /** Invitation emails to one address, from every organization of the instance together. */
  invitationEmailsPerRecipient: budget(3, DAY),
  /** Resending one invitation by email: the first resend at once, then 1, 2, 4 … 60 minutes apart. */
  invitationResends: {
    windowMs: DAY,
    free: 1,
    max: 10,
    baseDelayMs: MINUTE,
    maxDelayMs: HOUR,
  },
} satisfies Record<string, RateLimitPolicy>;

/** The one key a per-address limit counts a client under: its IPv4 address or IPv6 /64. */
export function perAddress(scope: string, ipAddress: string): string {
  return `${scope}:ip:${addressKey(ipAddress)}`;
}

export interface RateLimitKey {
  key: string;
  policy: RateLimitPolicy;
}

function delayAfter(hits: number, policy: RateLimitPolicy): number {
  if (hits < policy.free || policy.free >= policy.max) return 0;
  return Math.min((policy.baseDelayMs ?? 1000) * 2 ** (hits - policy.free), policy.maxDelayMs);
}

interface KeyState {
  key: string;
  policy: RateLimitPolicy;
  hits: number;
  rejected: number;
  windowStartedAt: Date;
  blockedUntil: Date | null;
}

/** Creates missing rows and locks every key's row, in one order (no deadlocks). */
async function lockKeys(
  trx: Transaction<DB>,
  keys: RateLimitKey[],
  now: Date,
): Promise<KeyState[]> {
  const sorted = [...keys].sort((a, b) => (a.key < b.key ? -1 : 1));
  // One upsert creates missing rows and locks every row it returns. (A plain insert-if-absent
  // followed by SELECT … FOR UPDATE loses a row that a concurrent successful sign-in deleted
  // in between; the upsert's conflict handling copes with that.)
  const rows = await trx
    .insertInto("rate_limits")
    .values(
      sorted.map(({ key }) => ({ key, hits: 0, window_started_at: now, blocked_until: null })),
    )
    .onConflict((oc) => oc.column("key").doUpdateSet((eb) => ({ key: eb.ref("excluded.key") })))
    .returningAll()
    .execute();
  return sorted.map(({ key, policy }) => {
    const row = rows.find((r) => r.key === key)!;
    const windowOver = row.window_started_at.getTime() + policy.windowMs <= now.getTime();
    const blockOver = !row.blocked_until || row.blocked_until <= now;
    const fresh = windowOver && blockOver;
    return {
      key,
      policy,
      hits: fresh ? 0 : row.hits,
      rejected: fresh ? 0 : row.rejected,
      windowStartedAt: fresh ? now : row.window_started_at,
      blockedUntil: fresh ? null : row.blocked_until,
    };
  });
}

/** How many more attempts the key allows now (0 while it is blocked or full). */
function room(s: KeyState, now: Date): number {
  if (s.blockedUntil && s.blockedUntil > now) return 0;
  return Math.max(0, s.policy.max - s.hits);
}

/** Records a refusal on the full keys; returns seconds until the last of them opens. */
async function refuse(
  trx: Transaction<DB>,
  blocked: KeyState[],
  now: Date,
): Promise<{ retryAfter: number; firstRefusal: boolean }> {
  let until = 0;
  let firstRefusal = false;
  for (const s of blocked) {
    const end = Math.max(
      s.blockedUntil?.getTime() ?? 0,
      s.hits >= s.policy.max ? s.windowStartedAt.getTime() + s.policy.windowMs : 0,
    );
    until = Math.max(until, end);
    if (s.rejected === 0) firstRefusal = true;
    await trx
      .updateTable("rate_limits")
      .set({
        hits: s.hits,
        rejected: s.rejected + 1,
        window_started_at: s.windowStartedAt,
        blocked_until: new Date(end),
      })
      .where("key", "=", s.key)
      .execute();
  }
  return { retryAfter: Math.max(1, Math.ceil((until - now.getTime()) / 1000)), firstRefusal };
}

/** Counts `count` attempts against every key, with the delay the last of them earns. */
async function count(trx: Transaction<DB>, states: KeyState[], n: number, now: Date) {
  for (const s of states) {
    const hits = s.hits + n;
    const delay = delayAfter(hits, s.policy);
    await trx
      .updateTable("rate_limits")
      .set({
        hits,
        rejected: s.rejected,
        window_started_at: s.windowStartedAt,
        blocked_until: delay > 0 ? new Date(now.getTime() + delay) : null,
      })
      .where("key", "=", s.key)
      .execute();
  }
}

/**
 * Counts one attempt against every key, or refuses it (counting it against none) when any key
 * is blocked. Rows are locked for the decision, so parallel attempts are all counted. Runs in
 * the caller's transaction when given one (its counts then commit or roll back with it).
 */
export async function takeAttempt(
  db: Kysely<DB> | Transaction<DB>,
  keys: RateLimitKey[],
  now: Date,
): Promise<RateLimitOutcome> {
  const run = async (trx: Transaction<DB>): Promise<RateLimitOutcome> => {
    const states = await lockKeys(trx, keys, now);
    const blocked = states.filter((s) => room(s, now) === 0);
    if (blocked.length > 0) return { allowed: false, ...(await refuse(trx, blocked, now)) };
    await count(trx, states, 1, now);
    return { allowed: true };
  };
  return db.isTransaction ? run(db as Transaction<DB>) : db.transaction().execute(run);
}

/**
 * Takes up to `wanted` attempts at once from budgets (policies without delays), inside the
 * caller's transaction: as many as every key still has room for. None granted comes with the
 * seconds until one would be.
 */
export async function takeQuota(
  trx: Transaction<DB>,
  keys: RateLimitKey[],
  wanted: number,
  now: Date,
): Promise<{ granted: number; retryAfter: number }> {
  const states = await lockKeys(trx, keys, now);
  const granted = Math.min(wanted, ...states.map((s) => room(s, now)));
  if (granted <= 0) {
    const full = states.filter((s) => room(s, now) === 0);
    return { granted: 0, retryAfter: (await refuse(trx, full, now)).retryAfter };
  }
  await count(trx, states, granted, now);
  return { granted, retryAfter: 0 };
}

/** Forgets keys: a successful sign-in clears the account's counter, a password reset all of them. */
export async function clearAttempts(db: Kysely<DB>, ...keys: string[]): Promise<void> {
  await db.deleteFrom("rate_limits").where("key", "in", keys).execute();
}

/** Drops rows whose window and block are both over (they would start afresh anyway). */
export async function deleteStaleRateLimits(
  db: Kysely<DB>,
  now: Date,
  olderThanMs: number,
): Promise<void> {
  const cutoff = new Date(now.getTime() - olderThanMs);
  await db
    .deleteFrom("rate_limits")
    .where("window_started_at", "<", cutoff)
    .where((eb) => eb.or([eb("blocked_until", "is", null), eb("blocked_until", "<", now)]))
    .execute();
}

/** Counts an attempt against the keys, or refuses it with 429 rate_limited and Retry-After. */
export async function requireAttempt(
  db: Kysely<DB>,
  keys: RateLimitKey[],
  now: Date,
  message = "Too many attempts; try again later.",
): Promise<void> {
  const outcome = await takeAttempt(db, keys, now);
  if (!outcome.allowed) throw fail("rate_limited", message, { retryAfter: outcome.retryAfter });
}

/**
 * Gives back one counted attempt: its delay goes too when the count falls below the free
 * attempts. (Only the delay this attempt set can be undone; an earlier one stays.)
 */
async function returnAttempt(db: Kysely<DB>, { key, policy }: RateLimitKey): Promise<void> {
  await db
    .updateTable("rate_limits")
    .set({
      hits: sql<number>`GREATEST(hits - 1, 0)`,
      blocked_until: sql<Date | null>`CASE WHEN hits - 1 < ${policy.free} THEN NULL ELSE blocked_until END`,
    })
    .where("key", "=", key)
    .execute();
}

/**
 * Looks up a reset, verification or invitation token under the per-address guessing limit
 * (INV-01), where only a miss on a well-formed token counts. A malformed token cannot match
 * anything: it is a miss before anything is counted, so a cross-site page that makes a
 * visitor's browser fetch junk tokens (a plain <img>) cannot spend that visitor's budget. A
 * token that is found gives its attempt back, so following one's own links never uses it up.
 * The attempt is counted before the lookup so that parallel guesses are all counted.
 * `lookUp` answers undefined for a miss; then so does this.
 */
export async function lookUpGuessedToken<T>(
  db: Kysely<DB>,
  meta: { ipAddress: string; now: Date },
  token: string,
  lookUp: () => Promise<T | undefined>,
): Promise<T | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  const key = { key: perAddress("token", meta.ipAddress), policy: POLICIES.tokenPerAddress };
  await requireAttempt(db, [key], meta.now);
  const found = await lookUp();
  if (found !== undefined) await returnAttempt(db, key);
  return found;
}
