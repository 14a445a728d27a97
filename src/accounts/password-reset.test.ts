import { randomBytes } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import {
  type Client,
  errorCode,
  expectError,
  PUBLIC_URL,
  type Reply,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";

const t = await startTestApp();

const NEW_PASSWORD = "amber-lantern-meadow-87";
const OTHER_PASSWORD = "copper-window-thistle-31";

/** Asks for a reset link as an anonymous browser and returns the token the email carries. */
async function requestReset(email: string, client: Client = t.client()) {
  const reply = await client.post("/auth/password-reset", { email });
  expect(reply.status).toBe(202);
  await t.flushMail();
  return { reply, token: t.mailbox.tokenFor(email, "reset-password") };
}

function confirm(token: string, password: string, client: Client = t.client()) {
  return client.post("/auth/password-reset/confirm", { token, password });
}

function signIn(email: string, password: string) {
  return t.client().post("/auth/sign-in", { email, password });
}

function resetEmails(address: string) {
  return t.mailbox.to(address).filter((m) => m.text.includes("/reset-password?token="));
}

describe("POST /auth/password-reset", () => {
  it("answers 202 with the same empty body for a known and an unknown email", async () => {
    const { email } = await signUpUser(t);
    const unknown = `nobody-${Date.now()}@example.com`;
    const known = await t.client().post("/auth/password-reset", { email });
    const missing = await t.client().post("/auth/password-reset", { email: unknown });
    expect(known.status).toBe(202);
    expect(missing.status).toBe(202);
    expect(missing.raw.body).toBe(known.raw.body);
    expect(missing.headers["content-type"]).toBe(known.headers["content-type"]);

    await t.flushMail();
    expect(resetEmails(email)).toHaveLength(1);
    expect(t.mailbox.to(unknown)).toHaveLength(0);
  });

  it("answers a known and an unknown email alike, before looking the account up, and still emails the link", async () => {
    const { email, user } = await signUpUser(t);
    const unknown = `nobody-${Date.now()}@example.com`;
    const known = await t.client().post("/auth/password-reset", { email });
    // The answer came before the account's link was made: nothing that depends on whether the
    // account exists runs before the 202, so its timing cannot tell (SECURITY.md AUTH-04).
    const tokens = await t.app.deps.db
      .selectFrom("account_tokens")
      .select("id")
      .where("user_id", "=", user.id)
      .where("purpose", "=", "password_reset")
      .execute();
    expect(tokens).toHaveLength(0);
    const missing = await t.client().post("/auth/password-reset", { email: unknown });

    const comparable = (reply: Reply) => {
      // Only the clock and the request's own id differ.
      const { date: _date, "x-request-id": _id, ...headers } = reply.headers;
      return { status: reply.status, body: reply.raw.body, headers };
    };
    expect(comparable(known)).toEqual(comparable(missing));
    expect(known.status).toBe(202);

    await vi.waitFor(
      async () => {
        await t.app.outbox.drain();
        expect(resetEmails(email)).toHaveLength(1);
      },
      { timeout: 5000, interval: 20 },
    );
    await t.flushMail();
    expect(t.mailbox.to(unknown)).toHaveLength(0);
  });

  it("emails a link on PUBLIC_URL whatever Host header the request carried", async () => {
    const { email } = await signUpUser(t);
    const reply = await t
      .client()
      .post("/auth/password-reset", { email }, { host: "evil.example", origin: PUBLIC_URL });
    expect(reply.status).toBe(202);
    await t.flushMail();
    const [message] = resetEmails(email);
    expect(message?.text).toContain(`${PUBLIC_URL}/reset-password?token=`);
    expect(message?.text).not.toContain("evil.example");
  });

  it("refuses a malformed email or an unknown field with 400 invalid_request", async () => {
    const malformed = await t.client().post("/auth/password-reset", { email: "no-at-sign" });
    expectError(malformed, 400, "invalid_request");
    const extra = await t
      .client()
      .post("/auth/password-reset", { email: "a@example.com", userId: "usr_x" });
    expectError(extra, 400, "invalid_request");
    expect(extra.body.error.details).toContainEqual(expect.objectContaining({ field: "userId" }));
  });

  it("stops emailing one account after a few requests, still answering 202, until the hour is over", async () => {
    const { email } = await signUpUser(t);
    const replies: Reply[] = [];
    for (let i = 0; i < 12; i++)
      replies.push(await t.client().post("/auth/password-reset", { email }));
    expect(replies.every((r) => r.status === 202 && r.raw.body === replies[0]!.raw.body)).toBe(
      true,
    );
    await t.flushMail();
    const sent = resetEmails(email).length;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(replies.length);

    t.clock.advance(61 * 60_000);
    await requestReset(email);
    expect(resetEmails(email)).toHaveLength(sent + 1);
  });

  it("limits reset requests from one address with 429 rate_limited and Retry-After", async () => {
    const client = t.client();
    let limited: Reply | undefined;
    for (let i = 0; i <= 100 && !limited; i++) {
      const reply = await client.post("/auth/password-reset", {
        email: `r${i}-${Date.now()}@example.com`,
      });
      if (reply.status === 429) limited = reply;
      else expect(reply.status).toBe(202);
    }
    expect(limited && errorCode(limited)).toBe("rate_limited");
    expect(String(limited?.headers["retry-after"])).toMatch(/^[1-9][0-9]*$/);
  });
});

describe("POST /auth/password-reset/confirm", () => {
  it("sets the new password, refuses the old one and ends every session of the account", async () => {
    const { email, user, client: first } = await signUpUser(t);
    const second = t.client();
    expect((await second.post("/auth/sign-in", { email, password: STRONG_PASSWORD })).status).toBe(
      200,
    );
    const { token } = await requestReset(email);

    const reply = await confirm(token, NEW_PASSWORD);
    expect(reply.status).toBe(204);
    for (const client of [first, second]) {
      const me = await client.get("/me");
      expectError(me, 401, "unauthenticated");
    }
    const old = await signIn(email, STRONG_PASSWORD);
    expectError(old, 401, "invalid_credentials");
    const fresh = await signIn(email, NEW_PASSWORD);
    expect(fresh.status).toBe(200);
    expect(fresh.body.user.id).toBe(user.id);
  });

  it("works once: a second use of the link is 404 not_found", async () => {
    const { email } = await signUpUser(t);
    const { token } = await requestReset(email);
    expect((await confirm(token, NEW_PASSWORD)).status).toBe(204);
    expectError(await confirm(token, OTHER_PASSWORD), 404, "not_found");
    expect((await signIn(email, NEW_PASSWORD)).status).toBe(200);
  });

  it("gives exactly one 204 when the same link is used twice at once", async () => {
    const { email } = await signUpUser(t);
    const { token } = await requestReset(email);
    const replies = await Promise.all([
      confirm(token, NEW_PASSWORD),
      confirm(token, OTHER_PASSWORD),
    ]);
    expect(replies.map((r) => r.status).sort()).toEqual([204, 404]);
    expect(errorCode(replies.find((r) => r.status === 404)!)).toBe("not_found");
    const winner = replies[0]!.status === 204 ? NEW_PASSWORD : OTHER_PASSWORD;
    const loser = winner === NEW_PASSWORD ? OTHER_PASSWORD : NEW_PASSWORD;
    expect((await signIn(email, winner)).status).toBe(200);
    expect(errorCode(await signIn(email, loser))).toBe("invalid_credentials");
  });

  it("kills the earlier link when a new reset is requested", async () => {
    const { email } = await signUpUser(t);
    const { token: earlier } = await requestReset(email);
    const { token: later } = await requestReset(email);
    expect(later).not.toBe(earlier);
    expectError(await confirm(earlier, NEW_PASSWORD), 404, "not_found");
    expect((await confirm(later, NEW_PASSWORD)).status).toBe(204);
  });

  it("expires the link after one hour", async () => {
    const { email } = await signUpUser(t);
    const { token } = await requestReset(email);
    t.clock.advance(61 * 60_000);
    expectError(await confirm(token, NEW_PASSWORD), 404, "not_found");
    expect((await signIn(email, STRONG_PASSWORD)).status).toBe(200);
  });

  it("still accepts the link a little before the hour is over", async () => {
    const { email } = await signUpUser(t);
    const { token } = await requestReset(email);
    t.clock.advance(59 * 60_000);
    expect((await confirm(token, NEW_PASSWORD)).status).toBe(204);
  });

  it("refuses a weak password with 422 weak_password and leaves the link usable", async () => {
    const { email } = await signUpUser(t);
    const { token } = await requestReset(email);
    for (const weak of ["password", "short", email]) {
      const reply = await confirm(token, weak);
      expectError(reply, 422, "weak_password");
      expect(reply.body.error.details).toContainEqual(
        expect.objectContaining({ field: "password" }),
      );
    }
    expect((await signIn(email, STRONG_PASSWORD)).status).toBe(200);
    expect((await confirm(token, NEW_PASSWORD)).status).toBe(204);
  });

  it.each([
    ["a short token", "abc"],
    ["a token of the right length but wrong characters", "!".repeat(43)],
    ["an unknown well-formed token", "A".repeat(43)],
  ])("answers %s with 404 not_found", async (_label, token) => {
    expectError(await confirm(token, NEW_PASSWORD), 404, "not_found");
  });

  it("limits token guessing from one address with 429 rate_limited, leaving other addresses alone", async () => {
    const guesser = t.client();
    let limited: Reply | undefined;
    for (let i = 0; i <= 200 && !limited; i++) {
      const reply = await confirm(randomBytes(32).toString("base64url"), NEW_PASSWORD, guesser);
      if (reply.status === 429) limited = reply;
      else expectError(reply, 404, "not_found");
    }
    expectError(limited!, 429, "rate_limited");
    expect(String(limited?.headers["retry-after"])).toMatch(/^[1-9][0-9]*$/);
    const { email } = await signUpUser(t);
    const { token } = await requestReset(email);
    expect((await confirm(token, NEW_PASSWORD)).status).toBe(204);
  });

  it("refuses a password over 1,024 characters with 400 invalid_request before using the link", async () => {
    const { email } = await signUpUser(t);
    const { token } = await requestReset(email);
    const reply = await confirm(token, "correct horse ".repeat(80));
    expectError(reply, 400, "invalid_request");
    expect((await confirm(token, NEW_PASSWORD)).status).toBe(204);
  });
});

describe("password reset side effects", () => {
  it("sends a password-changed notice to the account that holds no secret", async () => {
    const { email } = await signUpUser(t);
    const { token } = await requestReset(email);
    const before = t.mailbox.to(email).length;
    expect((await confirm(token, NEW_PASSWORD)).status).toBe(204);
    await t.flushMail();
    const notices = t.mailbox.to(email).slice(before);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.subject).toMatch(/password/i);
    const content = `${notices[0]?.text}${notices[0]?.html}`;
    expect(content).not.toContain(token);
    expect(content).not.toContain(NEW_PASSWORD);
    expect(content).not.toContain("token=");
  });

  it("records user.password_reset with the number of sessions it ended, and no secret", async () => {
    const { email, user } = await signUpUser(t);
    const { token } = await requestReset(email);
    const client = t.client();
    expect((await confirm(token, NEW_PASSWORD, client)).status).toBe(204);
    const events = await t.app.deps.db
      .selectFrom("audit_events")
      .selectAll()
      .where("subject_user_id", "=", user.id)
      .where("action", "=", "user.password_reset")
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor_id: user.id,
      ip_address: client.ip,
      user_agent: client.userAgent,
      metadata: { sessionsRevoked: 1 },
    });
    const row = JSON.stringify(events[0]);
    expect(row).not.toContain(token);
    expect(row).not.toContain(NEW_PASSWORD);
  });

  it("never puts the token in a response body or header", async () => {
    const { email } = await signUpUser(t);
    const { reply: requested, token } = await requestReset(email);
    const replies = [
      requested,
      await confirm(token, "password"),
      await confirm(token, NEW_PASSWORD),
      await confirm(token, NEW_PASSWORD),
      await signIn(email, NEW_PASSWORD),
    ];
    expect(replies.map((r) => r.status)).toEqual([202, 422, 204, 404, 200]);
    for (const reply of replies) {
      expect(reply.raw.body).not.toContain(token);
      expect(JSON.stringify(reply.headers)).not.toContain(token);
    }
  });
});

describe("password reset and API keys", () => {
  it("revokes every API key of the account, so an earlier holder of the address keeps no way in", async () => {
    // Someone signs up with the address first and makes a key while their session is fresh.
    const squatter = await signUpUser(t);
    const created = await squatter.client.post("/me/api-keys", { name: "backdoor" });
    expect(created.status).toBe(201);
    const bearer = { authorization: `Bearer ${created.body.secret}` };
    expect((await t.client().get("/me", bearer)).status).toBe(200);

    // The address's owner takes the account back by resetting the password.
    const { token } = await requestReset(squatter.email);
    expect((await confirm(token, NEW_PASSWORD)).status).toBe(204);

    expectError(await t.client().get("/me", bearer), 401, "unauthenticated");
    const keys = await t.app.deps.db
      .selectFrom("api_keys")
      .select("revoked_at")
      .where("user_id", "=", squatter.user.id)
      .execute();
    expect(keys).toHaveLength(1);
    expect(keys[0]?.revoked_at).not.toBeNull();
  });
});
