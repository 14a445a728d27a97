import { credentialIdOf, type PersonCaller } from "../access/caller.js";
import type { Notifications } from "../db/database.js";

/** What changed: one session, or everything about one account (its sessions and its profile). */
export type AuthChange = { sessionId: string } | { userId: string };

export function encodeAuthChange(change: AuthChange): string {
  return "sessionId" in change ? `session:${change.sessionId}` : `user:${change.userId}`;
}

function decodeAuthChange(payload: string): AuthChange | undefined {
  const [kind, id] = payload.split(":", 2);
  if (!id) return undefined;
  if (kind === "session") return { sessionId: id };
  if (kind === "user") return { userId: id };
  return undefined;
}

// A ceiling on how long an entry is believed even if every invalidation were somehow lost.
const MAX_ENTRY_AGE_MS = 5 * 60_000;

/**
 * Validated sessions and API keys by secret hash, so that an authenticated request usually reads no database.
 *
 * Safety rests on three rules: every change that ends a session or alters its account is
 * published (NOTIFY, delivered to every process on commit) and evicts here; while the listener
 * is down nothing is served from or added to the cache; and a database read that raced with an
 * eviction is not cached (the epoch check), so a revoked session cannot be re-added by a slow read.
 */
export class SessionCache {
  readonly #entries = new Map<string, { state: PersonCaller; cachedAt: number }>();
  readonly #hashBySession = new Map<string, string>();
  #epoch = 0;

  constructor(
    private readonly notifications: Notifications,
    private readonly maxEntries = 10_000,
  ) {
    notifications.subscribe("atrium_auth", (payload) => {
      const change = decodeAuthChange(payload);
      if (change) this.apply(change);
    });
    notifications.onGap(() => this.clear());
  }

  get size(): number {
    return this.#entries.size;
  }

  get(tokenHash: string, nowMs: number): PersonCaller | undefined {
    if (!this.notifications.healthy) return undefined;
    const entry = this.#entries.get(tokenHash);
    if (!entry) return undefined;
    if (nowMs - entry.cachedAt > MAX_ENTRY_AGE_MS) {
      this.#delete(tokenHash, credentialIdOf(entry.state));
      return undefined;
    }
    return entry.state;
  }

  /**
   * The cached state, or the one `load` reads from the database — cached unless an eviction
   * happened while it was being read.
   */
  async getOrLoad(
    tokenHash: string,
    nowMs: number,
    load: () => Promise<PersonCaller | undefined>,
  ): Promise<PersonCaller | undefined> {
    const cached = this.get(tokenHash, nowMs);
    if (cached) return cached;
    const epoch = this.#epoch;
    const loaded = await load();
    if (loaded) this.set(tokenHash, loaded, epoch, nowMs);
    return loaded;
  }

  /** Take before reading the database; pass to `set` so a read that raced an eviction is dropped. */
  epoch(): number {
    return this.#epoch;
  }

  set(tokenHash: string, state: PersonCaller, epoch: number, nowMs: number): void {
    if (epoch !== this.#epoch || !this.notifications.healthy) return;
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.entries().next().value;
      if (oldest) this.#delete(oldest[0], credentialIdOf(oldest[1].state));
    }
    const previous = this.#hashBySession.get(credentialIdOf(state));
    if (previous && previous !== tokenHash) this.#entries.delete(previous);
    this.#entries.set(tokenHash, { state, cachedAt: nowMs });
    this.#hashBySession.set(credentialIdOf(state), tokenHash);
  }

  /** Updates a cached entry in place after this process renewed or touched the session. */
  update(tokenHash: string, state: PersonCaller): void {
    const entry = this.#entries.get(tokenHash);
    if (entry) entry.state = state;
  }

  /**
   * For a change about to be committed: returns what to run after commit — evict here at
   * once, then wait (briefly) until the change has reached this process's listener, and so,
   * in practice, every other process's.
   */
  announce(change: AuthChange): () => Promise<void> {
    const arrived = this.notifications.expect("atrium_auth", encodeAuthChange(change));
    return async () => {
      this.apply(change);
      await arrived(1000);
    };
  }

  apply(change: AuthChange): void {
    this.#epoch++;
    if ("sessionId" in change) {
      const hash = this.#hashBySession.get(change.sessionId);
      if (hash) this.#delete(hash, change.sessionId);
      return;
    }
    for (const [hash, entry] of this.#entries) {
      if (entry.state.user.id === change.userId) this.#delete(hash, credentialIdOf(entry.state));
    }
  }

  clear(): void {
    this.#epoch++;
    this.#entries.clear();
    this.#hashBySession.clear();
  }

  #delete(tokenHash: string, sessionId: string): void {
    this.#entries.delete(tokenHash);
    if (this.#hashBySession.get(sessionId) === tokenHash) this.#hashBySession.delete(sessionId);
  }
}
