import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import {
  Client,
  errorCode,
  Mailbox,
  PUBLIC_URL,
  type Reply,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import { createTestDatabase } from "../../test/support/test-database.js";
import { buildApp } from "../app.js";
import { loadConfig } from "../config.js";
import { createLogger, redactUrl } from "./logging.js";

const t = await startTestApp();
const EVIL = { origin: "http://evil.test" };
/** As a script sends: no Origin and no cookie. */
const SCRIPT = { origin: undefined, cookie: undefined };

function expectError(reply: Reply, status: number, code: string) {
  expect(reply.status).toBe(status);
  expect(errorCode(reply)).toBe(code);
  expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(reply.body.error.message).toEqual(expect.any(String));
}

function expectSecurityHeaders(headers: Reply["headers"]) {
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  expect(headers["cache-control"]).toContain("no-store");
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(headers["x-powered-by"]).toBeUndefined();
  expect(headers.server).toBeUndefined();
  expect(headers["access-control-allow-origin"]).toBeUndefined();
}

const signUpBody = (email: string) => ({ email, name: "Body Tester", password: STRONG_PASSWORD });
const signUp = (body: unknown, headers?: Record<string, string | undefined>) =>
  t.client().post("/auth/sign-up", body, headers);

describe("errors and bodies", () => {
  it("answers an unknown route with 404 not_found, signed in or not", async () => {
    expectError(await t.client().get("/no-such-route"), 404, "not_found");
    expectError(await t.client().post("/no-such-route", {}), 404, "not_found");
    expectError(await t.client().get("/api/v2/me"), 404, "not_found");
  });

  it("refuses a body over 64 KiB with 413 payload_too_large", async () => {
    const reply = await signUp({ ...signUpBody("big@example.com"), name: "x".repeat(65 * 1024) });
    expectError(reply, 413, "payload_too_large");
  });

  it("refuses plain text, form and multipart bodies with 415 unsupported_media_type", async () => {
    const bodies: Array<[string, string]> = [
      ["text/plain", JSON.stringify(signUpBody("text@example.com"))],
      ["application/x-www-form-urlencoded", "email=form%40example.com&name=F&password=x"],
      ["multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="a"\r\n'],
    ];
    for (const [type, body] of bodies) {
      expectError(await signUp(body, { "content-type": type }), 415, "unsupported_media_type");
    }
  });

  it("refuses malformed JSON with 400 invalid_request", async () => {
    for (const body of ['{"email": ', "{'email': 1}", "[1,2", "undefined"]) {
      expectError(await t.client().post("/auth/sign-in", body), 400, "invalid_request");
    }
  });

  it("refuses __proto__ and constructor.prototype keys and creates nothing", async () => {
    const email = "proto@example.com";
    const fields = `"email":"${email}","name":"P","password":"${STRONG_PASSWORD}"`;
    for (const extra of ['"__proto__":{"isAdmin":true}', '"constructor":{"prototype":{"a":1}}']) {
      expectError(await signUp(`{${fields},${extra}}`), 400, "invalid_request");
    }
    const users = t.app.deps.db.selectFrom("users").select("id").where("email", "=", email);
    expect(await users.execute()).toHaveLength(0);
  });

  it("refuses a value of the wrong type, naming the field, without coercing it", async () => {
    const badEmail = await signUp({ ...signUpBody("x@example.com"), email: 123 });
    expectError(badEmail, 400, "invalid_request");
    expect(badEmail.body.error.details).toEqual([{ field: "email", problem: expect.any(String) }]);
    const numberName = await signUp({ ...signUpBody("n@example.com"), name: 123 });
    expectError(numberName, 400, "invalid_request");
    expect(numberName.body.error.details[0].field).toBe("name");
    expect((await signUp({ ...signUpBody("s@example.com"), name: "123" })).status).toBe(201);

    const { client } = await signUpUser(t);
    const stringBoolean = await client.post("/me/password", {
      currentPassword: STRONG_PASSWORD,
      newPassword: "another-fine-passphrase-7",
      revokeOtherSessions: "true",
    });
    expectError(stringBoolean, 400, "invalid_request");
    expect(stringBoolean.body.error.details[0].field).toBe("revokeOtherSessions");
  });

  it("refuses an unknown field, a non-object body and a repeated query parameter", async () => {
    const extra = await signUp({ ...signUpBody("u@example.com"), emailVerified: true });
    expectError(extra, 400, "invalid_request");
    expect(extra.body.error.details).toEqual([
      { field: "emailVerified", problem: "is not a known field" },
    ]);
    expectError(await t.client().post("/auth/sign-in", []), 400, "invalid_request");
    expectError(await t.client().post("/auth/sign-in", "null"), 400, "invalid_request");
    const { client } = await signUpUser(t);
    expectError(await client.get("/me/sessions?limit=1&limit=2"), 400, "invalid_request");
    expectError(await client.get("/me/sessions?sort=ip"), 400, "invalid_request");
  });

  it("answers protected routes without a session with 401 unauthenticated", async () => {
    expectError(await t.client().get("/me"), 401, "unauthenticated");
    expectError(await t.client().get("/me/sessions"), 401, "unauthenticated");
    expectError(await t.client().post("/auth/sign-out", undefined, SCRIPT), 401, "unauthenticated");
    const stale = await t.client().get("/me", { cookie: "atrium_session=not-a-session" });
    expectError(stale, 401, "unauthenticated");
    expect(stale.raw.cookies.find((c) => c.name === "atrium_session")?.value).toBe("");
  });
});

describe("refusals made by the framework itself", () => {
  /** A raw request, so that the URL reaches the router exactly as written. */
  async function raw(
    method: "GET" | "POST" | "PUT" | "DELETE" | "OPTIONS",
    url: string,
    json?: string,
  ) {
    const response = await t.app.inject({
      method,
      url,
      remoteAddress: "10.77.0.1",
      ...(json === undefined
        ? {}
        : { payload: json, headers: { "content-type": "application/json" } }),
    });
    const reply = {
      status: response.statusCode,
      headers: response.headers,
      body: JSON.parse(response.body),
      raw: response,
    };
    expectSecurityHeaders(reply.headers);
    expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
    return reply;
  }

  it("answers malformed percent-encoding with 400 invalid_request, the headers and no echo", async () => {
    for (const url of ["/api/v1/invitations/%E0%A4%A", "/api/v1/invitations/%zz-echo-me"]) {
      const reply = await raw("GET", url);
      expectError(reply, 400, "invalid_request");
      expect(reply.raw.body).not.toContain("echo-me");
      expect(Object.keys(reply.body)).toEqual(["error"]);
    }
  });

  it("answers an over-long path parameter with 414 uri_too_long, the headers and no echo", async () => {
    const reply = await raw("GET", `/api/v1/invitations/${"a".repeat(5000)}`);
    expectError(reply, 414, "uri_too_long");
    expect(reply.raw.body.length).toBeLessThan(200);
  });

  it("answers a known path with the wrong method with 405 method_not_allowed and Allow", async () => {
    const put = await raw("PUT", "/api/v1/auth/sign-in");
    expectError(put, 405, "method_not_allowed");
    expect(put.headers.allow).toBe("POST");
    const options = await raw("OPTIONS", "/api/v1/invitations/some-token");
    expectError(options, 405, "method_not_allowed");
    expect(options.headers.allow).toBe("GET, HEAD");
    expectError(await raw("DELETE", "/healthz"), 405, "method_not_allowed");
  });

  it("answers an unknown route with 404 quoting only the start of a long path", async () => {
    const reply = await raw("GET", `/api/v1/${"x".repeat(3000)}`);
    expectError(reply, 404, "not_found");
    expect(reply.body.error.message).toBe(`No route GET /api/v1/${"x".repeat(56)}….`);
  });

  it("answers malformed JSON with 400 invalid_request and the headers", async () => {
    const reply = await t.client().post("/auth/sign-in", '{"email": "a@b.c",');
    expectError(reply, 400, "invalid_request");
    expectSecurityHeaders(reply.headers);
  });

  it("quotes no more than a short excerpt of the input in any refusal before a handler", async () => {
    const long = "z".repeat(5000);
    const answers = [
      // Malformed JSON: the parser's message may quote the body.
      await raw("POST", "/api/v1/auth/sign-in", `{"email": "${long}", }`),
      await raw("POST", "/api/v1/auth/sign-in", `{"email": ${long}}`),
      // A malformed or over-long URL, with and without a path parameter.
      await raw("GET", `/api/v1/invitations/%zz${long}`),
      await raw("GET", `/api/v1/me/%zz${long}`),
      await raw("GET", `/api/v1/organizations/${long}/members`),
      await raw("GET", `/api/v1/${long}`),
      // A wrong method on a long path.
      await raw("PUT", `/api/v1/invitations/${"a".repeat(90)}`),
    ];
    for (const answer of answers) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(Object.keys(answer.body)).toEqual(["error"]);
      expect(Object.keys(answer.body.error).sort()).toEqual(
        answer.body.error.details ? ["code", "details", "message"] : ["code", "message"],
      );
      expect(answer.body.error.message.length, answer.raw.body).toBeLessThan(120);
      expect(answer.raw.body).not.toContain("z".repeat(65));
    }
    expect(answers.map((a) => a.body.error.code)).toEqual([
      "invalid_request",
      "invalid_request",
      "invalid_request",
      "invalid_request",
      "uri_too_long",
      "not_found",
      "method_not_allowed",
    ]);
  });

  it("names a huge unknown field by a short excerpt, and lists at most 20 problems", async () => {
    const name = "k".repeat(60_000);
    const reply = await signUp({ ...signUpBody("huge@example.com"), [name]: 1 });
    expectError(reply, 400, "invalid_request");
    expect(reply.raw.body.length).toBeLessThan(500);
    expect(reply.body.error.details).toEqual([
      { field: `${"k".repeat(64)}…`, problem: "is not a known field" },
    ]);
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`extra${i}`, i]));
    const manyReply = await signUp({ ...signUpBody("many@example.com"), ...many });
    expectError(manyReply, 400, "invalid_request");
    expect(manyReply.body.error.details).toHaveLength(20);
  });
});

describe("text the database cannot store", () => {
  it("answers a NUL byte in a path, a query or a body with 400, not a server fault", async () => {
    const { client } = await signUpUser(t);
    for (const path of [
      "/organizations/%00",
      "/me/sessions?cursor=%00",
      "/me/audit-events?action=%00",
      "/me/invitations/inv%00/accept",
    ]) {
      const reply = path.endsWith("/accept") ? await client.post(path) : await client.get(path);
      expect(reply.status, path).toBeLessThan(500);
      expect([400, 404], path).toContain(reply.status);
    }
    expectError(
      await client.post("/organizations", { name: "Nul\u0000Org" }),
      400,
      "invalid_request",
    );
  });
});

describe("cross-site request forgery", () => {
  it("refuses cookie-authenticated changes from a foreign Origin or without one", async () => {
    const { client, user } = await signUpUser(t);
    const sessionId = (await client.get("/me/sessions")).body.items[0].id;
    const origins = ["http://evil.test", "https://atrium.test", "http://atrium.test:8080", "null"];
    for (const origin of [...origins, undefined]) {
      const headers = { origin };
      expectError(await client.patch("/me", { name: "Eve" }, headers), 403, "forbidden_origin");
      expectError(await client.post("/auth/sign-out", undefined, headers), 403, "forbidden_origin");
      const revoke = await client.delete(`/me/sessions/${sessionId}`, headers);
      expectError(revoke, 403, "forbidden_origin");
    }
    const me = await client.get("/me");
    expect(me.status).toBe(200);
    expect(me.body.name).toBe(user.name);
  });

  it("lets the same origin change state", async () => {
    const { client } = await signUpUser(t);
    const renamed = await client.patch("/me", { name: "Renamed" }, { origin: PUBLIC_URL });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe("Renamed");
    expect((await client.post("/auth/sign-out")).status).toBe(204);
  });

  it("refuses sign-up and sign-in from a foreign Origin, allows a script without Origin", async () => {
    const email = "csrf@example.com";
    const credentials = { email, password: STRONG_PASSWORD };
    expectError(await signUp(signUpBody(email), EVIL), 403, "forbidden_origin");
    const signIn = await t.client().post("/auth/sign-in", credentials, EVIL);
    expectError(signIn, 403, "forbidden_origin");
    expect((await signUp(signUpBody(email), SCRIPT)).status).toBe(201);
    expect((await t.client().post("/auth/sign-in", credentials, SCRIPT)).status).toBe(200);
  });

  it("never changes state on GET, even from a foreign Origin", async () => {
    const { client } = await signUpUser(t);
    const tables = ["audit_events", "sessions", "users", "outbox_emails"] as const;
    const counts = () =>
      Promise.all(tables.map((table) => t.app.deps.db.selectFrom(table).select("id").execute()));
    const before = (await counts()).map((rows) => rows.length);
    for (const path of ["/me", "/me/sessions", "/auth/sign-out", "/me/email-verification"]) {
      await client.get(path, EVIL);
    }
    expect((await counts()).map((rows) => rows.length)).toEqual(before);
    expect((await client.get("/me")).status).toBe(200);
    expectError(await client.get("/auth/sign-out"), 405, "method_not_allowed");
  });
});

describe("response headers", () => {
  it("sends the security headers on successes and on every kind of error", async () => {
    const { client } = await signUpUser(t);
    const replies = [
      await client.get("/me"),
      await t.client().get("/healthz"),
      await t.client().get("/nope"),
      await t.client().get("/me"),
      await t.client().post("/auth/sign-in", "{"),
      await t.client().post("/auth/sign-in", "x", { "content-type": "text/plain" }),
      await t.client().post("/auth/sign-in", { password: "p".repeat(70_000) }),
      await client.patch("/me", { name: "X" }, EVIL),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 404, 401, 400, 415, 413, 403]);
    for (const reply of replies) expectSecurityHeaders(reply.headers);
    expect(replies[0]?.headers["x-request-id"]).not.toBe(replies[1]?.headers["x-request-id"]);
    expect(replies[0]?.headers["strict-transport-security"]).toBeUndefined();
  });

  it("answers /healthz and /readyz with 200", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const reply = await t.client().get(path);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ status: "ok" });
    }
  });
});

describe("/readyz without its database", async () => {
  const database = await createTestDatabase();
  const app = await buildApp({
    config: loadConfig({ PUBLIC_URL, LOG_LEVEL: "silent", DATABASE_URL: database.url }),
    database: await database.open(),
    workers: false,
    checkDeclaredErrors: true,
  });
  await app.ready();
  afterAll(() => app.close());

  it("answers 503 unavailable in the contract's shape, with Retry-After and the headers", async () => {
    expect((await new Client(app).get("/readyz")).status).toBe(200);
    await database.drop();
    const reply = await new Client(app).get("/readyz");
    expectError(reply, 503, "unavailable");
    expect(reply.body).toEqual({ error: { code: "unavailable", message: expect.any(String) } });
    expect(reply.headers["retry-after"]).toBe("5");
    expectSecurityHeaders(reply.headers);
  });
});

describe("over https", async () => {
  const https = await startTestApp({ env: { PUBLIC_URL: "https://atrium.test" } });

  it("names the cookie __Host-atrium_session, marks it Secure and sends HSTS", async () => {
    const origin = "https://atrium.test";
    const reply = await https.client().post("/auth/sign-up", signUpBody("tls@example.com"), {
      origin,
    });
    expect(reply.status).toBe(201);
    const setCookie = [reply.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("__Host-atrium_session="));
    for (const attribute of [/; Secure/, /; HttpOnly/, /; SameSite=Lax/, /; Path=\/(;|$)/]) {
      expect(setCookie).toMatch(attribute);
    }
    expect(setCookie).not.toMatch(/Domain=/i);
    expect(reply.headers["strict-transport-security"]).toMatch(/max-age=\d{7,}/);
    const value = setCookie?.split(";")[0]?.split("=")[1];

    const cookie = `__Host-atrium_session=${value}`;
    const me = await https.client().get("/me", { cookie });
    expect(me.status).toBe(200);
    const unprefixed = await https.client().get("/me", { cookie: `atrium_session=${value}` });
    expectError(unprefixed, 401, "unauthenticated");
    expect(unprefixed.headers["strict-transport-security"]).toBeDefined();
    const httpOrigin = await https
      .client()
      .patch("/me", { name: "X" }, { cookie, origin: PUBLIC_URL });
    expectError(httpOrigin, 403, "forbidden_origin");
  });
});

describe("ATRIUM_TRUST_PROXY", async () => {
  const proxied = await startTestApp({ env: { ATRIUM_TRUST_PROXY: "1" } });
  const listed = await startTestApp({ env: { ATRIUM_TRUST_PROXY: "10.250.0.1" } });

  /** The address recorded for a sign-up's session and its audit event. */
  async function recordedAddress(app: typeof t, ip: string, forwardedFor: string) {
    const client = app.client({ ip });
    const body = signUpBody(`xff-${forwardedFor.replace(/[^0-9a-f.]/g, "-")}@example.com`);
    const reply = await client.post("/auth/sign-up", body, { "x-forwarded-for": forwardedFor });
    expect(reply.status).toBe(201);
    const session = (await client.get("/me/sessions")).body.items[0].ipAddress;
    const event = await app.app.deps.db
      .selectFrom("audit_events")
      .select("ip_address")
      .where("subject_user_id", "=", reply.body.user.id)
      .executeTakeFirstOrThrow();
    expect(event.ip_address).toBe(session);
    return session as string;
  }

  it("ignores X-Forwarded-For by default and records the socket address", async () => {
    expect(await recordedAddress(t, "10.9.0.1", "203.0.113.7")).toBe("10.9.0.1");
  });

  it("with a hop count of 1, uses the address the proxy appended to X-Forwarded-For", async () => {
    expect(await recordedAddress(proxied, "10.9.0.2", "203.0.113.8")).toBe("203.0.113.8");
  });

  it("with a hop count of 1, ignores a leftmost X-Forwarded-For entry the client wrote", async () => {
    // The client sent "X-Forwarded-For: 198.51.100.66"; its proxy appended the real peer.
    const spoofed = "198.51.100.66, 203.0.113.11";
    expect(await recordedAddress(proxied, "10.9.0.3", spoofed)).toBe("203.0.113.11");
  });

  it("stores a forwarded address with its control characters written out", async () => {
    // A trusted proxy passes on whatever the client wrote, and Fastify does not check it.
    const forwarded = "203.0.113.12\u0085\u001b[2J";
    expect(await recordedAddress(listed, "10.250.0.1", forwarded)).toBe(
      "203.0.113.12\\x85\\x1b[2J",
    );
  });

  it("believes X-Forwarded-For only from a listed proxy", async () => {
    expect(await recordedAddress(listed, "10.250.0.1", "203.0.113.9")).toBe("203.0.113.9");
    expect(await recordedAddress(listed, "10.250.0.2", "203.0.113.10")).toBe("10.250.0.2");
  });
});

describe("faults and logs", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const database = await createTestDatabase();
  const mailbox = new Mailbox();
  const app = await buildApp({
    config: loadConfig({ PUBLIC_URL, DATABASE_URL: database.url }),
    database: await database.open(),
    mailTransport: mailbox,
    workers: false,
    logger: createLogger("info", sink),
  });
  app.get("/api/v1/test/boom", { config: { public: true } }, async () => {
    throw new Error("secret internal detail at /srv/atrium/src/db.ts:42");
  });
  await app.ready();
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it("answers a server fault with 500 internal and reveals nothing of it", async () => {
    const reply = await new Client(app).get("/api/v1/test/boom");
    expectError(reply, 500, "internal");
    expect(reply.raw.body).not.toMatch(/secret|\/srv\/|db\.ts|Error:|at /);
    expectSecurityHeaders(reply.headers);
  });

  it("keeps passwords, tokens and cookies out of the log", async () => {
    const password = "log-secret-passphrase-91";
    const { client, email } = await signUpUser(t, { password, client: new Client(app) });
    await app.outbox.drain();
    const token = mailbox.tokenFor(email, "verify-email");
    const wrongPassword = "wrong-secret-passphrase-17";
    await new Client(app).post("/auth/sign-in", { email, password: wrongPassword });
    await client.get("/me", { authorization: "Bearer atr_bearer-secret-value-0123456789abcdef" });
    await client.get(`/auth/verify-email?token=${token}`);
    await client.get(`/api/v1/invitations/${token}`);
    await client.get(`/api/v1/test/boom?token=${token}&x=%0d%0afake-line`);
    await client.post("/auth/verify-email", { token });

    const text = lines.join("");
    expect(text).toContain("incoming request");
    expect(text).toContain("/invitations/[redacted]");
    expect(text).toContain("?token=[redacted]");
    const cookie = client.cookie ?? "no cookie was set";
    for (const secret of [password, wrongPassword, token, cookie, "atr_bearer-secret"]) {
      expect(text).not.toContain(secret);
    }
    for (const line of text.split("\n").filter(Boolean)) {
      expect(() => JSON.parse(line)).not.toThrow();
    }
  });

  it("redacts token-like URL segments and query values but keeps ids", () => {
    const token = "A".repeat(43);
    const id = "usr_01jzzzzzzzzzzzzzzzzzzzzzzz";
    expect(redactUrl(`/invite/${token}/accept`)).toBe("/invite/[redacted]/accept");
    expect(redactUrl(`/reset?token=${token}&a=1`)).toBe("/reset?token=[redacted]&a=1");
    expect(redactUrl(`/keys/atr_${token}`)).toBe("/keys/[redacted]");
    // A path carried in a query value arrives percent-encoded.
    expect(redactUrl(`/start?returnTo=%2Finvite%2F${token}`)).toBe(
      "/start?returnTo=%2Finvite%2F[redacted]",
    );
    expect(redactUrl(`/start?returnTo=%2finvite%2f${token}`)).toBe(
      "/start?returnTo=%2finvite%2f[redacted]",
    );
    expect(redactUrl(`/organizations/${id}/members`)).toBe(`/organizations/${id}/members`);
  });
});
