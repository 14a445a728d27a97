import { describe, expect, it } from "vitest";
import {
  errorCode,
  type Reply,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";

// Counters are process-wide (prom-client's default registry), so every assertion compares a
// value before and after the action it is about.
const t = await startTestApp();
const METRICS_TOKEN = "x".repeat(24);
const guarded = await startTestApp({ env: { ATRIUM_METRICS_TOKEN: METRICS_TOKEN } });

type Answer = { status: number; headers: Record<string, unknown>; text: string };

/** GET /metrics (outside /api/v1, so not through the test Client) from a client address. */
async function getMetrics(
  ip: string,
  headers: Record<string, string> = {},
  app = t.app,
): Promise<Answer> {
  const reply = await app.inject({ method: "GET", url: "/metrics", remoteAddress: ip, headers });
  return { status: reply.statusCode, headers: reply.headers, text: reply.body };
}

/** The contract's error shape, on a scrape or on an API reply. */
function expectError(answer: Answer | Reply, status: number, code: string) {
  expect(answer.status).toBe(status);
  const body = "text" in answer ? JSON.parse(answer.text) : answer.body;
  expect(errorCode({ body } as Reply)).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
}

/** Scrapes GET /metrics from this machine and returns the text. */
async function scrape(): Promise<string> {
  const answer = await getMetrics("127.0.0.1");
  expect(answer.status).toBe(200);
  return answer.text;
}

/** The value of one sample (`name{labels} value`), 0 when the series has no sample yet. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z0-9_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ? match[2].split(",") : [];
    if (wanted.every((label) => present.includes(label)) && present.length === wanted.length)
      return Number(match[3]);
  }
  return 0;
}

async function pendingEmails(): Promise<number> {
  const row = await t.app.deps.db
    .selectFrom("outbox_emails")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("status", "=", "pending")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe("GET /metrics from this machine", () => {
  it("answers 200 in the Prometheus text format with the service's metric families", async () => {
    const reply = await getMetrics("127.0.0.1");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const [name, type] of [
      ["atrium_http_requests_total", "counter"],
      ["atrium_http_request_duration_seconds", "histogram"],
      ["atrium_sign_ins_total", "counter"],
      ["atrium_sessions_created_total", "counter"],
      ["atrium_sessions_revoked_total", "counter"],
      ["atrium_emails_total", "counter"],
      ["atrium_outbox_backlog", "gauge"],
    ]) {
      expect(reply.text).toContain(`# HELP ${name} `);
      expect(reply.text).toContain(`# TYPE ${name} ${type}\n`);
    }
  });

  it("counts HTTP requests by route template, method and status", async () => {
    const health = { route: "/healthz", method: "GET", status: "200" };
    const lookup = { route: "/api/v1/invitations/:token", method: "GET", status: "404" };
    const unrouted = { route: "unmatched", method: "GET", status: "404" };
    const before = await scrape();
    await t.client().get("/healthz");
    await t.client().get("/healthz");
    await t.client().get("/invitations/no-such-invitation-token-at-all-here");
    await t.client().get("/no-such-route");
    const after = await scrape();
    const name = "atrium_http_requests_total";
    expect(sample(after, name, health) - sample(before, name, health)).toBe(2);
    expect(sample(after, name, lookup) - sample(before, name, lookup)).toBe(1);
    expect(sample(after, name, unrouted) - sample(before, name, unrouted)).toBe(1);
    const duration = "atrium_http_request_duration_seconds_count";
    expect(sample(after, duration, health) - sample(before, duration, health)).toBe(2);
  });

  it("counts successful and failed sign-ins, and the sessions they create", async () => {
    const { email } = await signUpUser(t);
    const before = await scrape();
    expect(
      (await t.client().post("/auth/sign-in", { email, password: STRONG_PASSWORD })).status,
    ).toBe(200);
    const wrong = await t.client().post("/auth/sign-in", { email, password: "not-the-password-1" });
    expectError(wrong, 401, "invalid_credentials");
    const unknown = await t
      .client()
      .post("/auth/sign-in", { email: "nobody@example.com", password: STRONG_PASSWORD });
    expectError(unknown, 401, "invalid_credentials");
    const after = await scrape();
    const name = "atrium_sign_ins_total";
    const success = { result: "success" };
    const failure = { result: "failure" };
    expect(sample(after, name, success) - sample(before, name, success)).toBe(1);
    expect(sample(after, name, failure) - sample(before, name, failure)).toBe(2);
    const created = "atrium_sessions_created_total";
    expect(sample(after, created) - sample(before, created)).toBe(1);
  });

  it("counts a sign-up's session as created and a sign-out's as revoked", async () => {
    const before = await scrape();
    const { client } = await signUpUser(t);
    expect((await client.get("/me")).status).toBe(200);
    expect((await client.post("/auth/sign-out")).status).toBe(204);
    expectError(await client.get("/me"), 401, "unauthenticated");
    const after = await scrape();
    const created = "atrium_sessions_created_total";
    const revoked = "atrium_sessions_revoked_total";
    expect(sample(after, created) - sample(before, created)).toBe(1);
    expect(sample(after, revoked) - sample(before, revoked)).toBe(1);
  });

  it("counts emails queued and sent, and reports the outbox backlog", async () => {
    await t.flushMail();
    const before = await scrape();
    expect(sample(before, "atrium_outbox_backlog")).toBe(0);
    const sentBefore = t.mailbox.messages.length;
    await signUpUser(t);
    await signUpUser(t);
    const pending = await pendingEmails();
    expect(pending).toBeGreaterThanOrEqual(2);
    const queuedScrape = await scrape();
    expect(sample(queuedScrape, "atrium_outbox_backlog")).toBe(pending);
    const queued = { event: "queued" };
    const sent = { event: "sent" };
    const name = "atrium_emails_total";
    expect(sample(queuedScrape, name, queued) - sample(before, name, queued)).toBe(pending);
    expect(sample(queuedScrape, name, sent)).toBe(sample(before, name, sent));

    await t.flushMail();
    expect(t.mailbox.messages.length - sentBefore).toBe(pending);
    const after = await scrape();
    expect(sample(after, name, sent) - sample(before, name, sent)).toBe(pending);
    expect(sample(after, "atrium_outbox_backlog")).toBe(0);
  });

  it("contains no email address, password, session, invitation token or metrics token", async () => {
    const email = `metrics-secret-${Date.now()}@example.com`;
    const { client } = await signUpUser(t, { email });
    const token = "zq9Xw2KpL7mN4bV8cR1tY6uE3iO0aS5dF2gH7jK9lQ";
    await t.client().get(`/invitations/${token}`);
    await t.client().post("/auth/password-reset/confirm", { token, password: STRONG_PASSWORD });
    await t.client().get(`/no-such-route/${token}`);
    const text = await scrape();
    expect(client.cookie).toEqual(expect.any(String));
    for (const secret of [email, "example.com", token, client.cookie!, STRONG_PASSWORD])
      expect(text).not.toContain(secret);
    expect(text).not.toContain("@");
    expect(text).not.toContain("atr_");
  });
});

describe("who may scrape", () => {
  it("refuses a client that is not on this machine with 403 forbidden", async () => {
    expectError(await getMetrics("203.0.113.7"), 403, "forbidden");
    expectError(await getMetrics("10.0.0.1"), 403, "forbidden");
    // Without ATRIUM_TRUST_PROXY, a forwarded-for header cannot pretend to be local.
    expectError(
      await getMetrics("203.0.113.7", { "x-forwarded-for": "127.0.0.1" }),
      403,
      "forbidden",
    );
    expect((await getMetrics("::1")).status).toBe(200);
  });

  it("with ATRIUM_METRICS_TOKEN, refuses a missing or wrong bearer token with 401 from anywhere", async () => {
    for (const ip of ["127.0.0.1", "203.0.113.8"]) {
      expectError(await getMetrics(ip, {}, guarded.app), 401, "unauthenticated");
      for (const authorization of [
        `Bearer ${"y".repeat(24)}`,
        `Bearer ${METRICS_TOKEN}x`,
        `Bearer ${METRICS_TOKEN.slice(1)}`,
        METRICS_TOKEN,
        `Basic ${METRICS_TOKEN}`,
      ])
        expectError(await getMetrics(ip, { authorization }, guarded.app), 401, "unauthenticated");
    }
  });

  it("with ATRIUM_METRICS_TOKEN, serves the right bearer token from any address", async () => {
    for (const ip of ["127.0.0.1", "203.0.113.9", "2001:db8::1"]) {
      const reply = await getMetrics(ip, { authorization: `Bearer ${METRICS_TOKEN}` }, guarded.app);
      expect(reply.status).toBe(200);
      expect(reply.text).toContain("# TYPE atrium_sign_ins_total counter");
      expect(reply.text).not.toContain(METRICS_TOKEN);
    }
  });

  it("behind a trusted proxy, refuses loopback clients: a proxy on this machine would make everyone local", async () => {
    const proxied = await startTestApp({ env: { ATRIUM_TRUST_PROXY: "1" } });
    for (const ip of ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
      expectError(await getMetrics(ip, {}, proxied.app), 403, "forbidden");
    const listed = await startTestApp({ env: { ATRIUM_TRUST_PROXY: "127.0.0.1" } });
    expectError(await getMetrics("127.0.0.1", {}, listed.app), 403, "forbidden");

    const withToken = await startTestApp({
      env: { ATRIUM_TRUST_PROXY: "1", ATRIUM_METRICS_TOKEN: METRICS_TOKEN },
    });
    const authorization = `Bearer ${METRICS_TOKEN}`;
    expect((await getMetrics("127.0.0.1", { authorization }, withToken.app)).status).toBe(200);
    expectError(await getMetrics("127.0.0.1", {}, withToken.app), 401, "unauthenticated");
  });
});
