import { describe, expect, it } from "vitest";
import {
  type Client,
  errorCode,
  expectError,
  type Reply,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import { newToken } from "../lib/tokens.js";

const t = await startTestApp();

const WRONG_PASSWORD = "not-the-right-password-9";
const NEW_PASSWORD = "amber-lantern-meadow-87";
const YEAR_SECONDS = 365 * 24 * 3600;

function signIn(client: Client, email: string, password: string) {
  return client.post("/auth/sign-in", { email, password });
}

/**
 * Strangers, each from an address of its own, send wrong passwords until the account is
 * blocked: the 429 and how many failures were counted before it.
 */
async function flood(email: string): Promise<{ blocked: Reply; failures: number }> {
  let failures = 0;
  for (let attempt = 0; attempt <= 20; attempt++) {
    const reply = await signIn(t.client(), email, WRONG_PASSWORD);
    if (reply.status === 429) return { blocked: reply, failures };
    expectError(reply, 401, "invalid_credentials");
    failures++;
  }
  throw new Error("the account was never blocked");
}

function retryAfter(reply: Reply): number {
  expect(String(reply.headers["retry-after"])).toMatch(/^[1-9][0-9]*$/);
  return Number(reply.headers["retry-after"]);
}

/** An account whose browser has signed in (and out) before: it holds a device cookie. */
async function ownerWithDevice() {
  const owner = await signUpUser(t);
  expect(owner.client.device).toBeDefined();
  expect((await owner.client.post("/auth/sign-out")).status).toBe(204);
  return owner;
}

describe("the device cookie", () => {
  it("is set at sign-up and sign-in: HttpOnly, SameSite=Lax, Path=/, for a year, never in the body", async () => {
    const email = `device-${Date.now()}@example.com`;
    const body = { email, name: "Dev", password: STRONG_PASSWORD };
    const signedUp = await t.client().post("/auth/sign-up", body);
    expect(signedUp.status).toBe(201);
    const signedIn = await signIn(t.client(), email, STRONG_PASSWORD);
    expect(signedIn.status).toBe(200);
    const values = [];
    for (const reply of [signedUp, signedIn]) {
      const cookie = reply.raw.cookies.find((c) => c.name === "atrium_device");
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
      expect(cookie?.maxAge).toBe(YEAR_SECONDS);
      expect(cookie?.domain).toBeUndefined();
      expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(reply.body)).not.toContain(cookie?.value);
      values.push(cookie?.value);
    }
    // Each browser gets its own.
    expect(values[0]).not.toBe(values[1]);
  });

  it("keeps its value when the browser signs in again, and is stored only as a hash", async () => {
    const { client, email, user } = await ownerWithDevice();
    const first = client.device!;
    expect((await signIn(client, email, STRONG_PASSWORD)).status).toBe(200);
    expect(client.device).toBe(first);
    const rows = await t.app.deps.db
      .selectFrom("known_devices")
      .selectAll()
      .where("user_id", "=", user.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(first);
  });

  it("authenticates nothing on its own", async () => {
    const { client } = await ownerWithDevice();
    expectError(await client.get("/me"), 401, "unauthenticated");
  });
});

describe("sign-in while strangers flood the account", () => {
  it("lets the owner's browser in with the right password, while a stranger with it is still refused", async () => {
    const owner = await ownerWithDevice();
    await flood(owner.email);
    const stranger = t.client();
    expectError(await signIn(stranger, owner.email, STRONG_PASSWORD), 429, "rate_limited");

    const reply = await signIn(owner.client, owner.email, STRONG_PASSWORD);
    expect(reply.status).toBe(200);
    expect(reply.body.user.email).toBe(owner.email);
    expect((await owner.client.get("/me")).status).toBe(200);
    // The owner's success does not hand the strangers a fresh set of attempts.
    expectError(await signIn(stranger, owner.email, STRONG_PASSWORD), 429, "rate_limited");
  });

  it("keeps the owner's browser in throughout an hour of a flood that waits out every delay", async () => {
    const owner = await ownerWithDevice();
    const start = t.clock.now().getTime();
    let failures = 0;
    let checks = 0;
    while (t.clock.now().getTime() < start + 3600_000) {
      const { blocked, failures: counted } = await flood(owner.email);
      failures += counted;
      // Every quarter of an hour, while the account is blocked, the owner signs in.
      if (t.clock.now().getTime() >= start + checks * 15 * 60_000) {
        checks++;
        expectError(await signIn(t.client(), owner.email, STRONG_PASSWORD), 429, "rate_limited");
        const mine = await signIn(owner.client, owner.email, STRONG_PASSWORD);
        expect(mine.status, `after ${failures} failures`).toBe(200);
      }
      t.clock.advance(retryAfter(blocked) * 1000);
    }
    expect(checks).toBe(4);
    expect(failures).toBeGreaterThan(20);
  });

  it("gives no exemption to a forged device cookie or to another account's", async () => {
    const owner = await ownerWithDevice();
    const other = await ownerWithDevice(); // other.client holds a real device cookie, of another account
    await flood(owner.email);
    expectError(await signIn(other.client, owner.email, STRONG_PASSWORD), 429, "rate_limited");
    for (const forged of [newToken(), "A".repeat(43), `${owner.client.device}x`, "garbage"]) {
      const client = t.client();
      client.device = forged;
      expectError(await signIn(client, owner.email, STRONG_PASSWORD), 429, "rate_limited", forged);
    }
    // The other account's browser is not turned into the owner's known device either.
    expect((await signIn(owner.client, owner.email, STRONG_PASSWORD)).status).toBe(200);
    const otherDevice = other.client.device;
    expect((await signIn(other.client, other.email, STRONG_PASSWORD)).status).toBe(200);
    expect(other.client.device).toBe(otherDevice);
  });

  it("does not lift the per-address limit", async () => {
    const owner = await ownerWithDevice();
    const sprayer = t.client({ ip: owner.client.ip });
    let blocked: Reply | undefined;
    for (let i = 0; i <= 200 && !blocked; i++) {
      const reply = await signIn(sprayer, `spray-${i}-${Date.now()}@example.com`, WRONG_PASSWORD);
      if (reply.status === 429) blocked = reply;
      else expectError(reply, 401, "invalid_credentials");
    }
    expect(blocked && errorCode(blocked)).toBe("rate_limited");
    expectError(await signIn(owner.client, owner.email, STRONG_PASSWORD), 429, "rate_limited");
  });

  it("limits wrong passwords from a known browser on a counter of its own", async () => {
    // A stolen device cookie buys its thief no more guesses than a stranger gets.
    const owner = await ownerWithDevice();
    let failures = 0;
    let blocked: Reply | undefined;
    while (!blocked && failures <= 20) {
      const reply = await signIn(owner.client, owner.email, WRONG_PASSWORD);
      if (reply.status === 429) blocked = reply;
      else {
        expectError(reply, 401, "invalid_credentials");
        failures++;
      }
    }
    expect(blocked && errorCode(blocked)).toBe("rate_limited");
    expect(failures).toBeLessThanOrEqual(20);
    // Strangers' counter is untouched: the right password from elsewhere still works.
    expect((await signIn(t.client(), owner.email, STRONG_PASSWORD)).status).toBe(200);
  });
});

describe("the per-account delay", () => {
  it("grows to at most 5 minutes, for an attacker who waits out every delay for an hour", async () => {
    const { email } = await signUpUser(t);
    const attacker = t.client();
    const end = t.clock.now().getTime() + 3600_000;
    const delays: number[] = [];
    while (t.clock.now().getTime() < end) {
      const reply = await signIn(attacker, email, WRONG_PASSWORD);
      if (reply.status === 429) {
        expect(errorCode(reply)).toBe("rate_limited");
        delays.push(retryAfter(reply));
        t.clock.advance(delays.at(-1)! * 1000);
      } else expectError(reply, 401, "invalid_credentials");
    }
    expect(Math.max(...delays)).toBe(300);
  });
});

describe("a password reset", () => {
  async function reset(email: string, client: Client) {
    expect((await t.client().post("/auth/password-reset", { email })).status).toBe(202);
    await t.flushMail();
    const token = t.mailbox.tokenFor(email, "reset-password");
    const reply = await client.post("/auth/password-reset/confirm", {
      token,
      password: NEW_PASSWORD,
    });
    expect(reply.status).toBe(204);
    return reply;
  }

  it("clears the account's sign-in counter: the new password works at once from any browser", async () => {
    const { email } = await signUpUser(t);
    await flood(email);
    await reset(email, t.client());
    const reply = await signIn(t.client(), email, NEW_PASSWORD);
    expect(reply.status).toBe(200);
  });

  it("clears the counter of password confirmations too", async () => {
    const { client, email } = await signUpUser(t);
    let blocked: Reply | undefined;
    for (let i = 0; i <= 20 && !blocked; i++) {
      const reply = await client.post("/auth/reauthenticate", { password: WRONG_PASSWORD });
      if (reply.status === 429) blocked = reply;
    }
    expect(blocked && errorCode(blocked)).toBe("rate_limited");
    await reset(email, t.client());
    expect((await signIn(client, email, NEW_PASSWORD)).status).toBe(200);
    expect((await client.post("/auth/reauthenticate", { password: NEW_PASSWORD })).status).toBe(
      200,
    );
  });

  it("forgets every known browser, an intruder's too, and makes the resetting browser the known one", async () => {
    const owner = await signUpUser(t);
    const intruder = t.client();
    expect((await signIn(intruder, owner.email, STRONG_PASSWORD)).status).toBe(200);
    const resetter = t.client();
    const confirmed = await reset(owner.email, resetter);
    const cookie = confirmed.raw.cookies.find((c) => c.name === "atrium_device");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", maxAge: YEAR_SECONDS });

    await flood(owner.email);
    expectError(await signIn(intruder, owner.email, NEW_PASSWORD), 429, "rate_limited");
    expectError(await signIn(owner.client, owner.email, NEW_PASSWORD), 429, "rate_limited");
    expect((await signIn(resetter, owner.email, NEW_PASSWORD)).status).toBe(200);
  });
});

describe("over https", async () => {
  const https = await startTestApp({ env: { PUBLIC_URL: "https://atrium.test" } });

  it("names the device cookie __Host-atrium_device and marks it Secure", async () => {
    const reply = await https
      .client()
      .post(
        "/auth/sign-up",
        { email: "tls-device@example.com", name: "Tls", password: STRONG_PASSWORD },
        { origin: "https://atrium.test" },
      );
    expect(reply.status).toBe(201);
    const setCookie = [reply.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("__Host-atrium_device="));
    for (const attribute of [/; Secure/, /; HttpOnly/, /; SameSite=Lax/, /; Path=\/(;|$)/]) {
      expect(setCookie).toMatch(attribute);
    }
    expect(setCookie).not.toMatch(/Domain=/i);
  });
});
