import { describe, expect, it } from "vitest";
import {
  type Client,
  errorCode,
  expectError,
  type Reply,
  signUpUser,
  startTestApp,
  type TestApp,
} from "../../test/support/test-app.js";

const t = await startTestApp();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const CHROME_ON_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.7000.12 Safari/537.36";
const SAFARI_ON_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

function sessionCookie(reply: Reply) {
  return reply.raw.cookies.find((c) => c.name === "atrium_session");
}

function expectCleared(reply: Reply) {
  const cookie = sessionCookie(reply);
  expect(cookie?.value).toBe("");
  expect(cookie?.expires?.getTime()).toBeLessThanOrEqual(Date.now());
}

async function signInAgain(
  app: TestApp,
  user: { email: string; password: string },
  options?: { ip?: string; userAgent?: string },
) {
  const client = app.client(options);
  const reply = await client.post("/auth/sign-in", { email: user.email, password: user.password });
  expect(reply.status).toBe(200);
  return client;
}

async function currentSessionId(client: Client): Promise<string> {
  const reply = await client.get("/me/sessions");
  expect(reply.status).toBe(200);
  return reply.body.items.find((s: { current: boolean }) => s.current).id;
}

function sessionRow(id: string) {
  return t.app.deps.db.selectFrom("sessions").selectAll().where("id", "=", id).executeTakeFirst();
}

function auditEvents(userId: string, action: string) {
  return t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("subject_user_id", "=", userId)
    .where("action", "=", action)
    .execute();
}

describe("GET /me/sessions", () => {
  it("lists every signed-in device with its address and user agent, only the caller's as current", async () => {
    const user = await signUpUser(t);
    const laptop = await signInAgain(t, user, { ip: "203.0.113.7", userAgent: "Laptop/1.0" });
    await signInAgain(t, user, { ip: "198.51.100.9", userAgent: "Phone/2.0" });

    const reply = await laptop.get("/me/sessions");
    expect(reply.status).toBe(200);
    expect(reply.body.items).toHaveLength(3);
    expect(reply.body.nextCursor).toBeNull();
    const current = reply.body.items.filter((s: { current: boolean }) => s.current);
    expect(current).toEqual([
      expect.objectContaining({ ipAddress: "203.0.113.7", userAgent: "Laptop/1.0" }),
    ]);
    expect(reply.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          current: false,
          ipAddress: "198.51.100.9",
          userAgent: "Phone/2.0",
        }),
        expect.objectContaining({ current: false, userAgent: user.client.userAgent }),
      ]),
    );
    for (const session of reply.body.items) {
      expect(session.id).toMatch(/^ses_[0-9a-z]{26}$/);
      const life = Date.parse(session.expiresAt) - Date.parse(session.createdAt);
      expect(life).toBe(7 * DAY);
    }
  });

  it("pages through the sessions one at a time with limit and nextCursor", async () => {
    const user = await signUpUser(t);
    await signInAgain(t, user);
    await signInAgain(t, user);
    const all = (await user.client.get("/me/sessions")).body.items.map((s: { id: string }) => s.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=1&cursor=${cursor}` : "?limit=1";
      const page = await user.client.get(`/me/sessions${query}`);
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(1);
      seen.push(page.body.items[0].id);
      cursor = page.body.nextCursor;
    } while (cursor !== null && seen.length < 10);
    expect(seen).toEqual(all);
    expect(seen).toHaveLength(3);
  });

  it("parses each device once, at sign-in, into a line such as Chrome 156 on Linux", async () => {
    const user = await signUpUser(t);
    const chrome = await signInAgain(t, user, { userAgent: CHROME_ON_LINUX });
    await signInAgain(t, user, { userAgent: SAFARI_ON_IPHONE });
    await signInAgain(t, user, { userAgent: "curl/8.5.0" });

    const items: Array<{ id: string; userAgent: string; device: unknown }> = (
      await chrome.get("/me/sessions")
    ).body.items;
    const deviceFor = (userAgent: string) => items.find((s) => s.userAgent === userAgent)?.device;
    expect(deviceFor(CHROME_ON_LINUX)).toEqual({
      browser: "Chrome",
      browserVersion: "156",
      os: "Linux",
      kind: "desktop",
      label: "Chrome 156 on Linux",
    });
    expect(deviceFor(SAFARI_ON_IPHONE)).toEqual({
      browser: "Safari",
      browserVersion: "18",
      os: "iOS",
      kind: "mobile",
      label: "Safari 18 on iOS",
    });
    // No browser in it: the program names itself.
    expect(deviceFor("curl/8.5.0")).toEqual({
      browser: null,
      browserVersion: null,
      os: null,
      kind: null,
      label: "curl/8.5.0",
    });

    // Stored with the session when it started: the list reads the columns, not the user agent.
    const id = await currentSessionId(chrome);
    expect(await sessionRow(id)).toMatchObject({
      device_browser: "Chrome",
      device_browser_version: "156",
      device_os: "Linux",
      device_kind: "desktop",
    });
    await t.app.deps.db
      .updateTable("sessions")
      .set({ device_browser: "Chromium" })
      .where("id", "=", id)
      .execute();
    const again = (await chrome.get("/me/sessions")).body.items.find(
      (s: { id: string }) => s.id === id,
    );
    expect(again.device.label).toBe("Chromium 156 on Linux");
  });

  it("parses the user agent of a session that started before devices were stored", async () => {
    const user = await signUpUser(t);
    const chrome = await signInAgain(t, user, { userAgent: CHROME_ON_LINUX });
    const id = await currentSessionId(chrome);
    await t.app.deps.db
      .updateTable("sessions")
      .set({
        device_browser: null,
        device_browser_version: null,
        device_os: null,
        device_kind: null,
      })
      .where("id", "=", id)
      .execute();
    const session = (await chrome.get("/me/sessions")).body.items.find(
      (s: { id: string }) => s.id === id,
    );
    expect(session.device.label).toBe("Chrome 156 on Linux");
  });

  it("names a device without a user agent Unknown device", async () => {
    const user = await signUpUser(t);
    const id = await currentSessionId(user.client);
    await t.app.deps.db
      .updateTable("sessions")
      .set({
        user_agent: null,
        device_browser: null,
        device_browser_version: null,
        device_os: null,
        device_kind: null,
      })
      .where("id", "=", id)
      .execute();
    const session = (await user.client.get("/me/sessions")).body.items[0];
    expect(session.device).toEqual({
      browser: null,
      browserVersion: null,
      os: null,
      kind: null,
      label: "Unknown device",
    });
  });

  it("refuses a limit that is zero, too large, not a number or given twice", async () => {
    const { client } = await signUpUser(t);
    for (const query of ["limit=0", "limit=500", "limit=abc", "limit=1&limit=2"]) {
      expectError(await client.get(`/me/sessions?${query}`), 400, "invalid_request", query);
    }
  });
});

describe("DELETE /me/sessions/{id}", () => {
  it("ends another device's session at once and records session.revoked", async () => {
    const user = await signUpUser(t);
    const phone = await signInAgain(t, user);
    expect((await phone.get("/me")).status).toBe(200); // now cached
    const phoneSession = await currentSessionId(phone);

    const reply = await user.client.delete(`/me/sessions/${phoneSession}`);
    expect(reply.status).toBe(204);
    expectError(await phone.get("/me"), 401, "unauthenticated");
    expect((await user.client.get("/me")).status).toBe(200);

    const events = await auditEvents(user.user.id, "session.revoked");
    expect(events).toEqual([expect.objectContaining({ target_id: phoneSession })]);
  });

  it("answers 404 for another account's session and leaves that session working", async () => {
    const attacker = await signUpUser(t);
    const victim = await signUpUser(t);
    const victimSession = await currentSessionId(victim.client);

    for (const id of [victimSession, "ses_00000000000000000000000000"]) {
      expectError(await attacker.client.delete(`/me/sessions/${id}`), 404, "not_found");
    }
    expect((await victim.client.get("/me")).status).toBe(200);
    expect(await sessionRow(victimSession)).toBeDefined();
    expect(await auditEvents(attacker.user.id, "session.revoked")).toEqual([]);
  });

  it("revoking the current session clears its cookie", async () => {
    const { client } = await signUpUser(t);
    const token = client.cookie;
    const reply = await client.delete(`/me/sessions/${await currentSessionId(client)}`);
    expect(reply.status).toBe(204);
    expectCleared(reply);
    client.cookie = token;
    expectError(await client.get("/me"), 401, "unauthenticated");
  });
});

describe("DELETE /me/sessions", () => {
  it("needs a fresh session, then signs out every other device and keeps this one", async () => {
    const user = await signUpUser(t);
    const others = [await signInAgain(t, user), await signInAgain(t, user)];
    t.clock.advance(HOUR + MINUTE);

    expectError(await user.client.delete("/me/sessions"), 403, "session_not_fresh");
    for (const other of others) expect((await other.get("/me")).status).toBe(200);

    const reauth = await user.client.post("/auth/reauthenticate", { password: user.password });
    expect(reauth.status).toBe(200);
    const reply = await user.client.delete("/me/sessions");
    expect(reply.status).toBe(204);

    for (const other of others) {
      expectError(await other.get("/me"), 401, "unauthenticated");
    }
    const list = await user.client.get("/me/sessions");
    expect(list.body.items).toEqual([expect.objectContaining({ current: true })]);
    const events = await auditEvents(user.user.id, "session.revoked");
    expect(events).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ count: 2 }) }),
    ]);
  });
});

describe("POST /auth/sign-out", () => {
  it("deletes the session, clears the cookie, and the old token fails when replayed", async () => {
    const user = await signUpUser(t);
    const sessionId = await currentSessionId(user.client);
    const token = user.client.cookie;

    const reply = await user.client.post("/auth/sign-out");
    expect(reply.status).toBe(204);
    expectCleared(reply);
    expect(user.client.cookie).toBeUndefined();

    user.client.cookie = token;
    expectError(await user.client.get("/me"), 401, "unauthenticated");
    expect(await sessionRow(sessionId)).toBeUndefined();
    expect(await auditEvents(user.user.id, "user.signed_out")).toEqual([
      expect.objectContaining({ target_id: sessionId }),
    ]);
  });

  it("clears the cookie even when the sign-out request is the one that renews the session", async () => {
    const { client } = await signUpUser(t);
    t.clock.advance(DAY);
    const reply = await client.post("/auth/sign-out");
    expect(reply.status).toBe(204);
    expect(reply.raw.cookies.filter((c) => c.name === "atrium_session")).toHaveLength(1);
    expectCleared(reply);
  });
});

describe("POST /auth/reauthenticate", () => {
  it("refuses a wrong password, then limits repeated guesses whatever the password", async () => {
    const user = await signUpUser(t);
    const first = await user.client.post("/auth/reauthenticate", { password: "wrong-password-1" });
    expectError(first, 403, "invalid_password");

    let reply = first;
    for (let i = 0; i < 20 && reply.status === 403; i++) {
      reply = await user.client.post("/auth/reauthenticate", { password: "wrong-password-1" });
    }
    expectError(reply, 429, "rate_limited");
    expect(Number(reply.headers["retry-after"])).toBeGreaterThan(0);
    expectError(
      await user.client.post("/auth/reauthenticate", { password: user.password }),
      429,
      "rate_limited",
    );
  });

  it("issues a new token, ends the old one and makes the session fresh again", async () => {
    const user = await signUpUser(t);
    t.clock.advance(2 * HOUR);
    expect(errorCode(await user.client.delete("/me/sessions"))).toBe("session_not_fresh");
    const oldToken = user.client.cookie;

    const reply = await user.client.post("/auth/reauthenticate", { password: user.password });
    expect(reply.status).toBe(200);
    const cookie = sessionCookie(reply);
    expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie?.value).not.toBe(oldToken);
    expect(cookie?.maxAge).toBe(7 * 24 * 3600);
    expect((await user.client.delete("/me/sessions")).status).toBe(204);

    const replay = t.client();
    replay.cookie = oldToken;
    expectError(await replay.get("/me"), 401, "unauthenticated");
  });
});

describe("session lifetime", () => {
  it("writes no renewal before ATRIUM_SESSION_REFRESH, then re-sends the cookie with a fresh Max-Age", async () => {
    const user = await signUpUser(t);
    const id = await currentSessionId(user.client);
    const before = await sessionRow(id);

    t.clock.advance(DAY - HOUR);
    const early = await user.client.get("/me");
    expect(early.status).toBe(200);
    expect(sessionCookie(early)).toBeUndefined();
    expect((await sessionRow(id))?.renewed_at).toEqual(before?.renewed_at);

    t.clock.advance(HOUR);
    const due = await user.client.get("/me");
    expect(due.status).toBe(200);
    expect(sessionCookie(due)).toMatchObject({ value: user.client.cookie, maxAge: 7 * 24 * 3600 });
    expect((await sessionRow(id))?.renewed_at).toEqual(t.clock.now());
    expect(sessionCookie(await user.client.get("/me"))).toBeUndefined();
  });

  it("records activity at most once a minute", async () => {
    const user = await signUpUser(t);
    const id = await currentSessionId(user.client);
    const signedUpAt = (await sessionRow(id))?.last_active_at;

    t.clock.advance(30_000);
    expect((await user.client.get("/me")).status).toBe(200);
    expect((await sessionRow(id))?.last_active_at).toEqual(signedUpAt);

    t.clock.advance(31_000);
    expect((await user.client.get("/me")).status).toBe(200);
    expect((await sessionRow(id))?.last_active_at).toEqual(t.clock.now());
  });

  it("ends a session left unused for longer than ATRIUM_SESSION_TTL", async () => {
    const { client } = await signUpUser(t);
    t.clock.advance(7 * DAY + 1000);
    const reply = await client.get("/me");
    expectError(reply, 401, "unauthenticated");
    expectCleared(reply);
  });

  it("daily use cannot keep a session past ATRIUM_SESSION_MAX_AGE, and no cookie outlives it", async () => {
    const user = await signUpUser(t);
    const end = t.clock.now().getTime() + 30 * DAY;
    const checkCookie = (reply: Reply) => {
      const maxAge = sessionCookie(reply)?.maxAge;
      if (maxAge !== undefined) {
        expect(maxAge * 1000).toBeLessThanOrEqual(end - t.clock.now().getTime());
      }
    };
    for (let day = 1; day <= 29; day++) {
      t.clock.advance(DAY);
      const reply = await user.client.get("/me");
      expect(reply.status, `day ${day}`).toBe(200);
      expect(sessionCookie(reply), `day ${day}`).toBeDefined();
      checkCookie(reply);
    }
    t.clock.advance(12 * HOUR);
    const reauth = await user.client.post("/auth/reauthenticate", { password: user.password });
    expect(reauth.status).toBe(200);
    expect(sessionCookie(reauth)?.maxAge).toBe(12 * 3600);
    checkCookie(reauth);

    t.clock.advance(12 * HOUR);
    expectError(await user.client.get("/me"), 401, "unauthenticated");
  });

  it("freshness counts from sign-in, not from renewal", async () => {
    const { client } = await signUpUser(t);
    t.clock.advance(DAY);
    expect(sessionCookie(await client.get("/me"))).toBeDefined(); // renewed just now
    expectError(await client.delete("/me/sessions"), 403, "session_not_fresh");
  });

  it("refuses and clears a cookie holding a garbage or unknown token", async () => {
    for (const token of ["garbage", "A".repeat(43)]) {
      const client = t.client();
      client.cookie = token;
      const reply = await client.get("/me");
      expectError(reply, 401, "unauthenticated");
      expectCleared(reply);
    }
  });
});
