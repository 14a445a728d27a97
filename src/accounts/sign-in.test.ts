import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
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

const WRONG_PASSWORD = "not-the-right-password-9";
/** The contract's ceiling: at most 20 failures per account within 15 minutes. */
const MAX_FAILURES = 20;
const WINDOW_MS = 15 * 60_000;

function signIn(client: Client, email: string, password: string, headers?: Record<string, string>) {
  return client.post("/auth/sign-in", { email, password }, headers);
}

/** A sign-in as a script sends it: no Origin header at all (the Client always adds one). */
async function signInWithoutOrigin(body: unknown, cookie?: string): Promise<Reply> {
  const headers = {
    "content-type": "application/json",
    ...(cookie && { cookie: `atrium_session=${cookie}` }),
  };
  const payload = JSON.stringify(body);
  const raw = await t.app.inject({ method: "POST", url: "/api/v1/auth/sign-in", headers, payload });
  return { status: raw.statusCode, headers: raw.headers, body: raw.json(), raw };
}

function sessionCookie(reply: Reply) {
  return reply.raw.cookies.find((c) => c.name === "atrium_session");
}

/** Wrong passwords from fresh addresses until the account is blocked; the failures and the 429. */
async function failUntilBlocked(email: string) {
  let failures = 0;
  for (let attempt = 0; attempt <= MAX_FAILURES; attempt++) {
    const reply = await signIn(t.client(), email, WRONG_PASSWORD);
    if (reply.status === 429) return { failures, blocked: reply };
    expect(errorCode(reply)).toBe("invalid_credentials");
    failures++;
  }
  throw new Error(`still not blocked after ${failures} failures`);
}

function retryAfterSeconds(reply: Reply): number {
  const value = String(reply.headers["retry-after"]);
  expect(value).toMatch(/^[1-9][0-9]*$/);
  return Number(value);
}

function auditEvents(userId: string, action: string) {
  return t.app.deps.db
    .selectFrom("audit_events")
    .selectAll()
    .where("subject_user_id", "=", userId)
    .where("action", "=", action)
    .execute();
}

describe("POST /auth/sign-in succeeds", () => {
  it("returns the account and sets a new HttpOnly session cookie that authenticates", async () => {
    const { email, user } = await signUpUser(t);
    const client = t.client();
    const reply = await signIn(client, `  ${email.toUpperCase()} `, STRONG_PASSWORD);
    expect(reply.status).toBe(200);
    expect(reply.body.user).toMatchObject({ id: user.id, email, emailVerified: false });
    const cookie = sessionCookie(reply);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    expect(JSON.stringify(reply.body)).not.toContain(cookie?.value);

    const me = await client.get("/me");
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(user.id);
  });

  it("issues a different token at every sign-in, even to a client that is signed in", async () => {
    const { email, client } = await signUpUser(t);
    const tokens = new Set([client.cookie]);
    for (let i = 0; i < 3; i++) {
      const reply = await signIn(client, email, STRONG_PASSWORD);
      expect(reply.status).toBe(200);
      tokens.add(sessionCookie(reply)?.value);
    }
    expect(tokens.size).toBe(4);
  });

  it("does not adopt a session token planted in the browser before sign-in", async () => {
    const { email } = await signUpUser(t);
    const victim = t.client();
    const planted = randomBytes(32).toString("base64url");
    victim.cookie = planted;
    const reply = await signIn(victim, email, STRONG_PASSWORD);
    expect(reply.status).toBe(200);
    expect(sessionCookie(reply)?.value).not.toBe(planted);
    expect((await victim.get("/me")).status).toBe(200);

    const attacker = t.client();
    attacker.cookie = planted;
    const me = await attacker.get("/me");
    expectError(me, 401, "unauthenticated");
  });
});

describe("POST /auth/sign-in refuses without telling accounts apart", () => {
  it("answers an unknown email and a wrong password with the same 401 invalid_credentials", async () => {
    const { email } = await signUpUser(t);
    const wrongPassword = await signIn(t.client(), email, WRONG_PASSWORD);
    const unknownEmail = await signIn(
      t.client(),
      `nobody-${Date.now()}@example.com`,
      WRONG_PASSWORD,
    );
    for (const reply of [wrongPassword, unknownEmail]) {
      expectError(reply, 401, "invalid_credentials");
      expect(sessionCookie(reply)).toBeUndefined();
    }
    expect(unknownEmail.body).toEqual(wrongPassword.body);
    expect(unknownEmail.headers["content-type"]).toBe(wrongPassword.headers["content-type"]);
  });

  it("verifies the password exactly as typed: no trimming and no case folding", async () => {
    const { email } = await signUpUser(t);
    for (const variant of [
      ` ${STRONG_PASSWORD}`,
      `${STRONG_PASSWORD} `,
      STRONG_PASSWORD.toUpperCase(),
    ]) {
      const reply = await signIn(t.client(), email, variant);
      expectError(reply, 401, "invalid_credentials");
    }
  });
});

describe("POST /auth/sign-in validates its input", () => {
  it.each([
    ["a malformed email", { email: "not-an-email", password: STRONG_PASSWORD }, "email"],
    ["a number as the email", { email: 42, password: STRONG_PASSWORD }, "email"],
    ["an array as the password", { email: "a@example.com", password: ["x"] }, "password"],
    ["a missing password", { email: "a@example.com" }, "password"],
    ["a missing email", { password: STRONG_PASSWORD }, "email"],
    [
      "an unknown field",
      { email: "a@example.com", password: STRONG_PASSWORD, admin: true },
      "admin",
    ],
  ])("refuses %s with 400 invalid_request naming the field", async (_label, body, field) => {
    const reply = await t.client().post("/auth/sign-in", body);
    expectError(reply, 400, "invalid_request");
    expect(reply.body.error.details).toContainEqual(expect.objectContaining({ field }));
    expect(sessionCookie(reply)).toBeUndefined();
  });

  it("refuses a password over 1,024 characters with 400 and accepts 1,024 code points", async () => {
    const { email } = await signUpUser(t);
    const tooLong = await signIn(t.client(), email, "a".repeat(1025));
    expectError(tooLong, 400, "invalid_request");
    expect(tooLong.body.error.details).toContainEqual(
      expect.objectContaining({ field: "password" }),
    );

    const longest = await signIn(t.client(), email, "😀".repeat(1024));
    expectError(longest, 401, "invalid_credentials");
  });
});

describe("POST /auth/sign-in checks the Origin", () => {
  it.each(["https://evil.example", "null", `${PUBLIC_URL}.evil.io`])(
    "refuses Origin %s with 403 forbidden_origin and sets no cookie",
    async (origin) => {
      const { email } = await signUpUser(t);
      const reply = await signIn(t.client(), email, STRONG_PASSWORD, { origin });
      expectError(reply, 403, "forbidden_origin");
      expect(sessionCookie(reply)).toBeUndefined();
    },
  );

  it("allows a script that sends neither Origin nor cookie, but not a cookie without Origin", async () => {
    const { email, user, client } = await signUpUser(t);
    const script = await signInWithoutOrigin({ email, password: STRONG_PASSWORD });
    expect(script.status).toBe(200);
    expect(script.body.user.id).toBe(user.id);
    expect(sessionCookie(script)?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const forged = await signInWithoutOrigin({ email, password: STRONG_PASSWORD }, client.cookie);
    expectError(forged, 403, "forbidden_origin");
  });
});

describe("POST /auth/sign-in limits failures", () => {
  it("blocks an account after repeated failures, even for the right password, until Retry-After has passed", async () => {
    const { email } = await signUpUser(t);
    const { failures } = await failUntilBlocked(email);
    expect(failures).toBeLessThanOrEqual(MAX_FAILURES);

    const right = await signIn(t.client(), email, STRONG_PASSWORD);
    expectError(right, 429, "rate_limited");
    expect(sessionCookie(right)).toBeUndefined();
    t.clock.advance(retryAfterSeconds(right) * 1000);
    const reply = await signIn(t.client(), email, STRONG_PASSWORD);
    expect(reply.status).toBe(200);
    expect(reply.body.user.email).toBe(email);
  });

  it("allows at most 20 failures in 15 minutes to an attacker who waits out every delay, with growing delays", async () => {
    const { email } = await signUpUser(t);
    const end = t.clock.now().getTime() + WINDOW_MS;
    const attacker = t.client();
    let failures = 0;
    const delays: number[] = [];
    while (t.clock.now().getTime() < end) {
      const reply = await signIn(attacker, email, WRONG_PASSWORD);
      if (reply.status === 429) {
        expect(errorCode(reply)).toBe("rate_limited");
        delays.push(retryAfterSeconds(reply));
        t.clock.advance(delays.at(-1)! * 1000);
      } else {
        expect(errorCode(reply)).toBe("invalid_credentials");
        failures++;
      }
      expect(failures).toBeLessThanOrEqual(MAX_FAILURES);
    }
    expect(delays.length).toBeGreaterThan(1);
    for (let i = 1; i < delays.length; i++)
      expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays.at(-1)).toBeGreaterThan(delays[0]!);
  });

  it("clears the account's counter after a successful sign-in", async () => {
    const { email } = await signUpUser(t);
    const { failures, blocked } = await failUntilBlocked(email);
    t.clock.advance(retryAfterSeconds(blocked) * 1000);
    expect((await signIn(t.client(), email, STRONG_PASSWORD)).status).toBe(200);

    // As many failures as before pass as plain 401s: the counter started again from zero.
    for (let i = 0; i < failures; i++) {
      const reply = await signIn(t.client(), email, WRONG_PASSWORD);
      expectError(reply, 401, "invalid_credentials");
    }
    const next = await signIn(t.client(), email, WRONG_PASSWORD);
    expectError(next, 429, "rate_limited");
  });

  it("counts every one of 30 wrong passwords sent at once: no more get through than one by one", async () => {
    const { failures: sequential } = await failUntilBlocked((await signUpUser(t)).email);
    const { email, user } = await signUpUser(t);
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => signIn(t.client(), email, WRONG_PASSWORD)),
    );
    const refused = replies.filter((r) => r.status === 401);
    const limited = replies.filter((r) => r.status === 429);
    expect(refused.length + limited.length).toBe(30);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(Math.min(sequential, MAX_FAILURES));
    expect(refused.every((r) => errorCode(r) === "invalid_credentials")).toBe(true);
    expect(limited.every((r) => errorCode(r) === "rate_limited")).toBe(true);

    const wrong = (await auditEvents(user.id, "user.sign_in_failed")).filter(
      (e) => e.metadata.reason === "wrong_password",
    );
    expect(wrong).toHaveLength(refused.length);
    const right = await signIn(t.client(), email, STRONG_PASSWORD);
    expect(errorCode(right)).toBe("rate_limited");
  });

  it("limits a client address on its own, apart from any account", async () => {
    const { email } = await signUpUser(t);
    const sprayer = t.client();
    let blocked: Reply | undefined;
    for (let i = 0; i <= 200 && !blocked; i++) {
      const reply = await signIn(sprayer, `spray-${i}-${Date.now()}@example.com`, WRONG_PASSWORD);
      if (reply.status === 429) blocked = reply;
      else expect(errorCode(reply)).toBe("invalid_credentials");
    }
    expect(blocked && errorCode(blocked)).toBe("rate_limited");

    const fromSprayer = await signIn(sprayer, email, STRONG_PASSWORD);
    expectError(fromSprayer, 429, "rate_limited");
    expect(retryAfterSeconds(fromSprayer)).toBeGreaterThan(0);
    const elsewhere = await signIn(t.client(), email, STRONG_PASSWORD);
    expect(elsewhere.status).toBe(200);
  });
});

describe("POST /auth/sign-in records audit events", () => {
  it("records user.signed_in and user.sign_in_failed with address and user agent, and no secret", async () => {
    const { email, user } = await signUpUser(t);
    const client = t.client();
    expect(errorCode(await signIn(client, email, WRONG_PASSWORD))).toBe("invalid_credentials");
    const reply = await signIn(client, email, STRONG_PASSWORD);
    expect(reply.status).toBe(200);
    for (const action of ["user.sign_in_failed", "user.signed_in"]) {
      const events = await auditEvents(user.id, action);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        actor_id: user.id,
        ip_address: client.ip,
        user_agent: client.userAgent,
      });
      expect(events[0]?.request_id).toBeTruthy();
      const row = JSON.stringify(events[0]);
      for (const secret of [STRONG_PASSWORD, WRONG_PASSWORD, sessionCookie(reply)!.value]) {
        expect(row).not.toContain(secret);
      }
    }
  });

  it("records one rate_limited event for a whole flood of blocked attempts", async () => {
    const { email, user } = await signUpUser(t);
    await failUntilBlocked(email);
    for (let i = 0; i < 10; i++) {
      expect(errorCode(await signIn(t.client(), email, WRONG_PASSWORD))).toBe("rate_limited");
    }
    const limited = (await auditEvents(user.id, "user.sign_in_failed")).filter(
      (e) => e.metadata.reason === "rate_limited",
    );
    expect(limited).toHaveLength(1);
  });
});

describe("sign-ins racing for one account", () => {
  it("never fails with a server error while a success clears the account's counter", async () => {
    // A success deletes the account's counter row while other attempts are counting against
    // it: every attempt must still get an answer of the contract (200, or 429 past the limit).
    const { email, password } = await signUpUser(t);
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => t.client().post("/auth/sign-in", { email, password })),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(statuses).toContain(200);
  });
});
