import { type Kysely, sql } from "kysely";
import type { DB } from "../db/schema.js";
import { fail } from "../lib/errors.js";
import { isWellFormedToken } from "../lib/tokens.js";

/**
 * Attempts within a window: the first `free` go through at once, each one after that must wait
 * a delay that doubles (1 s, 2 s, 4 s, … up to `maxDelayMs`), and past `max` every attempt is
 * refused until the window ends. A window always ends, so nobody is locked out for ever.
 */
export interface RateLimitPolicy {
  windowMs: number;
  free: number;
  max: number;
  maxDelayMs: number;
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

export const POLICIES = {
  /**
   * Contract: at most 20 failures per account in 15 minutes. A delay never exceeds 5 minutes,
   * a third of the window; a browser the account signed in from before counts on its own key
   * instead (see signIn), so strangers who keep this key blocked do not lock the owner out.
   */
  signInPerAccount: { windowMs: 15 * 60_000, free: 5, max: 20, maxDelayMs: 5 * 60_000 },
  /** Generous enough for an office behind one address, tight enough to stop spraying. */
  signInPerAddress: { windowMs: 15 * 60_000, free: 50, max: 200, maxDelayMs: 15 * 60_000 },
  signUpPerAddress: { windowMs: 60 * 60_000, free: 30, max: 30, maxDelayMs: 60 * 60_000 },
  /** Guessing reset, verification and invitation tokens. */
  tokenPerAddress: { windowMs: 15 * 60_000, free: 30, max: 60, maxDelayMs: 15 * 60_000 },
  /** Mail bombing: reset and verification emails to one account. */
  emailsPerAccount: { windowMs: 60 * 60_000, free: 5, max: 5, maxDelayMs: 60 * 60_000 },
  emailsPerAddress: { windowMs: 60 * 60_000, free: 20, max: 20, maxDelayMs: 60 * 60_000 },
} satisfies Record<string, RateLimitPolicy>;

export interface RateLimitKey {
  key: string;
  policy: RateLimitPolicy;
}

function delayAfter(hits: number, policy: RateLimitPolicy): number {
  if (hits < policy.free || policy.free >= policy.max) return 0;
  return Math.min(1000 * 2 ** (hits - policy.free), policy.maxDelayMs);
}

/**
 * Counts one attempt against every key, or refuses it (counting it against none) when any key
 * is blocked. Rows are locked for the decision, so parallel attempts are all counted.
 */
export async function takeAttempt(
  db: Kysely<DB>,
  keys: RateLimitKey[],
  now: Date,
): Promise<RateLimitOutcome> {
  const sorted = [...keys].sort((a, b) => (a.key < b.key ? -1 : 1)); // one lock order: no deadlocks
  return db.transaction().execute(async (trx) => {
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

    const states = sorted.map(({ key, policy }) => {
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

    const blocked = states.filter(
      (s) => (s.blockedUntil && s.blockedUntil > now) || s.hits >= s.policy.max,
    );
    if (blocked.length > 0) {
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
      return {
        allowed: false,
        retryAfter: Math.max(1, Math.ceil((until - now.getTime()) / 1000)),
        firstRefusal,
      };
    }

    for (const s of states) {
      const hits = s.hits + 1;
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
    return { allowed: true };
  });
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
  const key = { key: `token:ip:${meta.ipAddress}`, policy: POLICIES.tokenPerAddress };
  await requireAttempt(db, [key], meta.now);
  const found = await lookUp();
  if (found !== undefined) await returnAttempt(db, key);
  return found;
}
