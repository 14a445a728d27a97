import { describe, expect, it } from "vitest";
import { credentialIdOf, type PersonCaller, type SessionCaller } from "../access/caller.js";
import type { Channel, Notifications } from "../db/database.js";
import { SessionCache } from "./session-cache.js";

/** A notification channel driven by hand: what Postgres LISTEN would deliver, and when it drops. */
class FakeNotifications implements Notifications {
  healthy = true;
  readonly #handlers: Array<{ channel: Channel; handler: (payload: string) => void }> = [];
  readonly #gapHandlers: Array<() => void> = [];

  subscribe(channel: Channel, handler: (payload: string) => void): void {
    this.#handlers.push({ channel, handler });
  }
  onGap(handler: () => void): void {
    this.#gapHandlers.push(handler);
  }
  expect(): (timeoutMs: number) => Promise<void> {
    return async () => {};
  }
  deliver(channel: Channel, payload: string): void {
    for (const h of this.#handlers) if (h.channel === channel) h.handler(payload);
  }
  gap(): void {
    for (const handler of this.#gapHandlers) handler();
  }
}

const NOW = Date.parse("2030-01-01T00:00:00Z");

const credentialOf = (caller: PersonCaller | undefined) => caller && credentialIdOf(caller);

function stateOf(sessionId: string, userId: string, name = "Ada"): SessionCaller {
  const at = new Date(NOW);
  return {
    kind: "session",
    session: {
      id: sessionId,
      createdAt: at,
      authenticatedAt: at,
      renewedAt: at,
      expiresAt: new Date(NOW + 7 * 86_400_000),
      lastActiveAt: at,
    },
    user: {
      id: userId,
      email: `${userId}@example.com`,
      name,
      emailVerifiedAt: null,
      hasPassword: true,
      createdAt: at,
    },
  };
}

function setUp(maxEntries?: number) {
  const notifications = new FakeNotifications();
  const cache = new SessionCache(notifications, maxEntries);
  const put = (hash: string, state: PersonCaller, now = NOW) =>
    cache.set(hash, state, cache.epoch(), now);
  return { notifications, cache, put };
}

describe("SessionCache", () => {
  it("serves a stored session until its entry is five minutes old", () => {
    const { cache, put } = setUp();
    const state = stateOf("ses_1", "usr_1");
    put("hash-1", state);
    expect(cache.get("hash-1", NOW + 5 * 60_000)).toBe(state);
    expect(cache.get("hash-1", NOW + 5 * 60_000 + 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("evicts one session when its revocation is announced", () => {
    const { notifications, cache, put } = setUp();
    put("hash-1", stateOf("ses_1", "usr_1"));
    put("hash-2", stateOf("ses_2", "usr_1"));
    notifications.deliver("atrium_auth", "session:ses_1");
    expect(cache.get("hash-1", NOW)).toBeUndefined();
    expect(credentialOf(cache.get("hash-2", NOW))).toBe("ses_2");
  });

  it("evicts every session of an account when a change to the account is announced", () => {
    const { notifications, cache, put } = setUp();
    put("hash-1", stateOf("ses_1", "usr_1"));
    put("hash-2", stateOf("ses_2", "usr_1"));
    put("hash-3", stateOf("ses_3", "usr_2"));
    notifications.deliver("atrium_auth", "user:usr_1");
    expect(cache.get("hash-1", NOW)).toBeUndefined();
    expect(cache.get("hash-2", NOW)).toBeUndefined();
    expect(cache.get("hash-3", NOW)?.user.id).toBe("usr_2");
  });

  it("ignores announcements it does not understand and other channels", () => {
    const { notifications, cache, put } = setUp();
    put("hash-1", stateOf("ses_1", "usr_1"));
    for (const payload of ["", "session:", "ses_1", "org:ses_1", "user"]) {
      notifications.deliver("atrium_auth", payload);
    }
    notifications.deliver("atrium_outbox", "session:ses_1");
    expect(credentialOf(cache.get("hash-1", NOW))).toBe("ses_1");
  });

  it("neither serves nor stores anything while the listener is down", () => {
    const { notifications, cache, put } = setUp();
    put("hash-1", stateOf("ses_1", "usr_1"));
    notifications.healthy = false;
    expect(cache.get("hash-1", NOW)).toBeUndefined();
    put("hash-2", stateOf("ses_2", "usr_2"));
    expect(cache.size).toBe(1);
  });

  it("forgets everything when announcements may have been lost", () => {
    const { notifications, cache, put } = setUp();
    put("hash-1", stateOf("ses_1", "usr_1"));
    put("hash-2", stateOf("ses_2", "usr_2"));
    notifications.healthy = false;
    notifications.gap();
    notifications.healthy = true;
    notifications.gap();
    expect(cache.size).toBe(0);
    expect(cache.get("hash-1", NOW)).toBeUndefined();
  });

  it("drops a database read that raced with an eviction, so a revoked session is not re-added", () => {
    const { notifications, cache } = setUp();
    const epoch = cache.epoch(); // taken before the (slow) database read
    notifications.deliver("atrium_auth", "session:ses_1"); // revoked meanwhile
    cache.set("hash-1", stateOf("ses_1", "usr_1"), epoch, NOW);
    expect(cache.size).toBe(0);

    const local = setUp();
    const before = local.cache.epoch();
    local.cache.apply({ userId: "usr_1" }); // this process's own change, after commit
    local.cache.set("hash-1", stateOf("ses_1", "usr_1"), before, NOW);
    expect(local.cache.get("hash-1", NOW)).toBeUndefined();
  });

  it("keeps at most maxEntries, dropping the oldest", () => {
    const { cache, put } = setUp(2);
    put("hash-1", stateOf("ses_1", "usr_1"));
    put("hash-2", stateOf("ses_2", "usr_1"));
    put("hash-3", stateOf("ses_3", "usr_1"));
    expect(cache.size).toBe(2);
    expect(cache.get("hash-1", NOW)).toBeUndefined();
    expect(credentialOf(cache.get("hash-3", NOW))).toBe("ses_3");
  });

  it("drops a session's old token when it is cached under a new one", () => {
    const { notifications, cache, put } = setUp();
    put("old-hash", stateOf("ses_1", "usr_1"));
    put("new-hash", stateOf("ses_1", "usr_1"));
    expect(cache.get("old-hash", NOW)).toBeUndefined();
    expect(cache.size).toBe(1);
    notifications.deliver("atrium_auth", "session:ses_1");
    expect(cache.size).toBe(0);
  });

  it("updates a cached entry in place but never adds one", () => {
    const { cache, put } = setUp();
    cache.update("hash-1", stateOf("ses_1", "usr_1"));
    expect(cache.size).toBe(0);
    put("hash-1", stateOf("ses_1", "usr_1"));
    cache.update("hash-1", stateOf("ses_1", "usr_1", "Grace"));
    expect(cache.get("hash-1", NOW)?.user.name).toBe("Grace");
  });
});
