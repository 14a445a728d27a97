import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { sql } from "kysely";
import { SMTPServer } from "smtp-server";
import { afterAll, describe, expect, it } from "vitest";
import {
  Client,
  errorCode,
  FakeClock,
  Mailbox,
  PUBLIC_URL,
  STRONG_PASSWORD,
  signUpUser,
  startTestApp,
} from "../../test/support/test-app.js";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.js";
import { type AtriumApp, buildApp } from "../app.js";
import { loadConfig } from "../config.js";
import { transaction } from "../db/transaction.js";
import { createLogger } from "../http/logging.js";
import { enqueueEmail } from "./outbox.js";
import { MAX_ATTEMPTS, retryDelayMs } from "./outbox-worker.js";
import type { MailTransport } from "./transports.js";

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives; it can go down and come back. */
class SmtpSink {
  readonly received: Received[] = [];
  /** Messages refused with a temporary error (see `refuseNext`). */
  readonly refused: Received[] = [];
  port = 0;
  /** Connections opened so far. */
  connections = 0;
  /** The most messages it was receiving at one moment. */
  maxConcurrent = 0;
  /** Answers each message's data after this long, like a slow server. */
  delayMs = 0;
  /** How many of the next messages to refuse with 451. */
  refuseNext = 0;
  /** Called as each message is accepted, with how many were being received together. */
  onAccepted: (together: number) => void = () => {};
  #receiving = 0;
  #server: SMTPServer | undefined;

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      // Going down drops open (pooled) connections at once, as a server that stops would.
      closeTimeout: 100,
      onConnect: (_session, callback) => {
        this.connections++;
        callback();
      },
      onData: (stream, session, callback) => {
        this.#receiving++;
        this.maxConcurrent = Math.max(this.maxConcurrent, this.#receiving);
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          const { mailFrom, rcptTo } = session.envelope;
          const message = {
            from: mailFrom ? mailFrom.address : "",
            to: rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString("utf8"),
          };
          setTimeout(() => {
            const together = this.#receiving--;
            if (!this.#server) return;
            if (this.refuseNext > 0) {
              this.refuseNext--;
              this.refused.push(message);
              callback(Object.assign(new Error("try again later"), { responseCode: 451 }));
              return;
            }
            this.received.push(message);
            this.onAccepted(together);
            callback();
          }, this.delayMs);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Messages being received right now. */
  get receiving(): number {
    return this.#receiving;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  to(address: string): Received[] {
    return this.received.filter((message) => message.to.includes(address));
  }
}

/** One MIME entity: lowercase header names (folded lines joined) and the raw body. */
function entity(text: string) {
  const end = text.indexOf("\r\n\r\n");
  const lines = text
    .slice(0, end)
    .replace(/\r\n[ \t]+/g, " ")
    .split("\r\n");
  const headers = new Map(
    lines.map((l) => [
      l.slice(0, l.indexOf(":")).toLowerCase(),
      l.slice(l.indexOf(":") + 1).trim(),
    ]),
  );
  return { headers, body: text.slice(end + 4) };
}

/** Just enough MIME to read a multipart/alternative message: its headers and decoded parts. */
function parseMessage(raw: string) {
  const { headers, body } = entity(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get("content-type") ?? "")?.[1] ?? "";
  const parts = body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((chunk) => {
      const part = entity(chunk.replace(/^\r\n/, ""));
      const encoding = part.headers.get("content-transfer-encoding")?.toLowerCase();
      let decoded = part.body;
      if (encoding === "base64") decoded = Buffer.from(part.body, "base64").toString("utf8");
      if (encoding === "quoted-printable") {
        const latin1 = part.body
          .replace(/=\r\n/g, "")
          .replace(/=([0-9A-F]{2})/g, (_, hex: string) =>
            String.fromCharCode(Number.parseInt(hex, 16)),
          );
        decoded = Buffer.from(latin1, "latin1").toString("utf8");
      }
      return { type: part.headers.get("content-type") ?? "", body: decoded };
    });
  return { headers, parts };
}

const t = await startTestApp();

async function outboxRowsTo(app: AtriumApp, address: string) {
  return app.deps.db
    .selectFrom("outbox_emails")
    .selectAll()
    .where("to_address", "=", address)
    .orderBy("id")
    .execute();
}

describe("the outbox over a real SMTP server", async () => {
  const smtp = new SmtpSink();
  await smtp.start();
  const database = await createTestDatabase();
  const clock = new FakeClock();
  const config = loadConfig({
    PUBLIC_URL,
    LOG_LEVEL: "silent",
    DATABASE_URL: database.url,
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: "Atrium <accounts@atrium.test>",
  });
  const app = await buildApp({ config, database: await database.open(), clock, workers: false });
  await app.ready();
  const signUp = (email: string, name: string) =>
    new Client(app).post("/auth/sign-up", { email, name, password: STRONG_PASSWORD });
  afterAll(async () => {
    await app.close();
    await smtp.stop();
    await database.drop();
  });

  it("delivers a sign-up's verification email with matching text and HTML parts", async () => {
    const email = "ada.smtp@example.com";
    expect((await signUp(email, "Ada <b>Lovelace</b>")).status).toBe(201);
    await app.outbox.drain();

    const [message, ...others] = smtp.to(email);
    expect(others).toHaveLength(0);
    expect(message?.from).toBe("accounts@atrium.test");
    const { headers, parts } = parseMessage(message?.raw ?? "");
    expect(headers.get("subject")).toBe("Verify your email address");
    expect(headers.get("to")).toBe(email);
    expect(headers.get("content-type")).toMatch(/^multipart\/alternative/);
    const text = parts.find((part) => part.type.startsWith("text/plain"))?.body ?? "";
    const html = parts.find((part) => part.type.startsWith("text/html"))?.body ?? "";
    expect(text).toContain("Hello Ada <b>Lovelace</b>,");
    expect(html).toContain("Hello Ada &lt;b&gt;Lovelace&lt;/b&gt;,");
    expect(html).not.toContain("<b>");
    const token = /verify-email\?token=([A-Za-z0-9_-]{43})/.exec(text)?.[1];
    expect(token).toBeDefined();
    expect(html).toContain(`href="${PUBLIC_URL}/verify-email?token=${token}"`);

    const [row] = await outboxRowsTo(app, email);
    expect(row).toMatchObject({ status: "sent", attempts: 1, last_error: null });
    expect(row?.sent_at).not.toBeNull();
  });

  it("keeps the message while the server is down and delivers it once when it is back", async () => {
    const email = "grace.smtp@example.com";
    await smtp.stop();
    expect((await signUp(email, "Grace")).status).toBe(201);

    await app.outbox.drain();
    let [row] = await outboxRowsTo(app, email);
    expect(row).toMatchObject({ status: "pending", attempts: 1, sent_at: null });
    expect(row?.last_error).toMatch(/\S/);
    expect(row?.next_attempt_at.getTime()).toBeGreaterThan(clock.now().getTime());

    // Not due yet: a second pass neither sends nor counts an attempt.
    await smtp.start();
    await app.outbox.drain();
    expect(smtp.to(email)).toHaveLength(0);
    [row] = await outboxRowsTo(app, email);
    expect(row?.attempts).toBe(1);

    clock.advance(10 * 60_000);
    await app.outbox.drain();
    clock.advance(2 * 3_600_000);
    await app.outbox.drain();
    expect(smtp.to(email)).toHaveLength(1);
    [row] = await outboxRowsTo(app, email);
    expect(row).toMatchObject({ status: "sent", attempts: 2, last_error: null });
  });
});

describe("the outbox with a failing transport", () => {
  it("retries with growing delays and delivers exactly once after the transport recovers", async () => {
    t.mailbox.failing = true;
    const { email } = await signUpUser(t);
    const start = t.clock.now().getTime();
    await t.flushMail();
    let [row] = await outboxRowsTo(t.app, email);
    expect(row).toMatchObject({
      status: "pending",
      attempts: 1,
      last_error: "SMTP server unavailable",
    });
    const firstDelay = (row?.next_attempt_at.getTime() ?? 0) - start;
    expect(firstDelay).toBeGreaterThanOrEqual(4_000);
    expect(firstDelay).toBeLessThanOrEqual(6_000);

    t.clock.advance(3_000);
    await t.flushMail();
    [row] = await outboxRowsTo(t.app, email);
    expect(row?.attempts).toBe(1);

    t.clock.advance(3_001);
    const secondStart = t.clock.now().getTime();
    await t.flushMail();
    [row] = await outboxRowsTo(t.app, email);
    expect(row?.attempts).toBe(2);
    const secondDelay = (row?.next_attempt_at.getTime() ?? 0) - secondStart;
    expect(secondDelay).toBeGreaterThanOrEqual(8_000);
    expect(secondDelay).toBeLessThanOrEqual(12_000);

    t.mailbox.failing = false;
    t.clock.advance(60_000);
    await t.flushMail();
    await t.flushMail();
    expect(t.mailbox.to(email)).toHaveLength(1);
    [row] = await outboxRowsTo(t.app, email);
    expect(row).toMatchObject({ status: "sent", attempts: 3, last_error: null });
  });

  it("marks a message failed after its last attempt and stops retrying it", async () => {
    t.mailbox.failing = true;
    const { email } = await signUpUser(t);
    await t.app.deps.db
      .updateTable("outbox_emails")
      .set({ attempts: MAX_ATTEMPTS - 1 })
      .where("to_address", "=", email)
      .execute();
    await t.flushMail();
    t.mailbox.failing = false;
    t.clock.advance(24 * 3_600_000);
    await t.flushMail();
    const [row] = await outboxRowsTo(t.app, email);
    expect(row).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
    expect(t.mailbox.to(email)).toHaveLength(0);
  });

  it("backs off exponentially from about 5 seconds to about an hour", () => {
    for (let attempts = 1; attempts <= 30; attempts++) {
      const base = Math.min(5_000 * 2 ** (attempts - 1), 3_600_000);
      const delay = retryDelayMs(attempts);
      expect(delay).toBeGreaterThanOrEqual(base * 0.8);
      expect(delay).toBeLessThanOrEqual(base * 1.2);
    }
  });

  it("does not send again when a worker that lost its claim fails late", async () => {
    // A second process on the same database whose SMTP send hangs past the claim.
    let release: (error: Error) => void = () => {};
    let claimed: () => void = () => {};
    const sendStarted = new Promise<void>((resolve) => {
      claimed = resolve;
    });
    const hanging: MailTransport = {
      send: () => {
        claimed();
        return new Promise<void>((_, reject) => {
          release = reject;
        });
      },
    };
    const otherClock = new FakeClock();
    const other = await buildApp({
      config: t.app.deps.config,
      database: await t.database.open(),
      clock: otherClock,
      mailTransport: hanging,
      workers: false,
    });
    await other.ready();
    try {
      const { email } = await signUpUser(t);
      otherClock.advance(t.clock.now().getTime() - otherClock.now().getTime());
      const otherDrain = other.outbox.drain();
      await sendStarted;

      await t.flushMail();
      expect(t.mailbox.to(email)).toHaveLength(0);
      t.clock.advance(61_000);
      await t.flushMail();
      expect(t.mailbox.to(email)).toHaveLength(1);

      release(new Error("socket timeout"));
      await otherDrain;
      t.clock.advance(2 * 3_600_000);
      await t.flushMail();
      expect(t.mailbox.to(email)).toHaveLength(1);
      const [row] = await outboxRowsTo(t.app, email);
      expect(row?.status).toBe("sent");
    } finally {
      await other.close();
    }
  });
});

describe("the outbox row and the change it belongs to", () => {
  it("writes no email when sign-up is refused with email_taken", async () => {
    const { email } = await signUpUser(t);
    await t.flushMail();
    const before = await outboxRowsTo(t.app, email);
    const reply = await t.client().post("/auth/sign-up", {
      email: email.toUpperCase(),
      name: "Impostor",
      password: STRONG_PASSWORD,
    });
    expect(reply.status).toBe(409);
    expect(errorCode(reply)).toBe("email_taken");
    expect(await outboxRowsTo(t.app, email.toUpperCase())).toHaveLength(0);
    expect(await outboxRowsTo(t.app, email)).toEqual(before);
  });

  it("queues one email when two sign-ups race for one address", async () => {
    const replies = await Promise.all(
      ["mail-race@example.com", "Mail-Race@Example.com"].map((email) =>
        t.client().post("/auth/sign-up", { email, name: "Racer", password: STRONG_PASSWORD }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM outbox_emails WHERE lower(to_address) = 'mail-race@example.com'
    `.execute(t.app.deps.db);
    expect(rows[0]?.n).toBe(1);
  });

  it("rolls the email back with the account when a later step of the transaction fails", async () => {
    // A real constraint that makes the audit insert, the last step of sign-up, fail.
    await sql`ALTER TABLE audit_events ADD CONSTRAINT test_refuse_agent
      CHECK (user_agent IS DISTINCT FROM 'refuse-audit')`.execute(t.app.deps.db);
    try {
      const email = "rolled-back@example.com";
      const reply = await t
        .client({ userAgent: "refuse-audit" })
        .post("/auth/sign-up", { email, name: "Rolled Back", password: STRONG_PASSWORD });
      expect(reply.status).toBe(500);
      expect(errorCode(reply)).toBe("internal");
      expect(await outboxRowsTo(t.app, email)).toHaveLength(0);
      const users = await t.app.deps.db
        .selectFrom("users")
        .select("id")
        .where("email_canonical", "=", email)
        .execute();
      expect(users).toHaveLength(0);
    } finally {
      await sql`ALTER TABLE audit_events DROP CONSTRAINT test_refuse_agent`.execute(t.app.deps.db);
    }
  });
});

describe("a sent email's row", () => {
  it("keeps no body once sent, since the body held a live token", async () => {
    const email = `sent-${Date.now()}@example.com`;
    const reply = await t
      .client()
      .post("/auth/sign-up", { email, name: "Sent", password: STRONG_PASSWORD });
    expect(reply.status).toBe(201);
    const [queued] = await outboxRowsTo(t.app, email);
    expect(queued?.text_body).toContain("/verify-email?token=");
    await t.flushMail();
    const [sent] = await outboxRowsTo(t.app, email);
    expect(sent).toMatchObject({ status: "sent", text_body: "", html_body: "" });
    expect(t.mailbox.tokenFor(email, "verify-email")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

/** An app (a process, as far as the outbox is concerned) that sends through `smtp`. */
async function appWithSmtp(database: TestDatabase, smtp: SmtpSink, clock: FakeClock) {
  const config = loadConfig({
    PUBLIC_URL,
    LOG_LEVEL: "silent",
    DATABASE_URL: database.url,
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
  });
  const app = await buildApp({ config, database: await database.open(), clock, workers: false });
  await app.ready();
  return app;
}

/** Queues `count` messages to `prefix-N@example.com` through the outbox service. */
async function queue(app: AtriumApp, prefix: string, count: number): Promise<string[]> {
  const addresses = Array.from({ length: count }, (_, i) => `${prefix}-${i}@example.com`);
  for (const to of addresses) {
    await transaction(app.deps.db, (tx) =>
      enqueueEmail(
        tx,
        { to, subject: "Hello", text: "Hello", html: "<p>Hello</p>" },
        app.deps.clock.now(),
      ),
    );
  }
  return addresses;
}

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("delivery guarantees over a real SMTP server", async () => {
  const database = await createTestDatabase();
  const smtp = new SmtpSink();
  await smtp.start();
  const clock = new FakeClock();
  const app = await appWithSmtp(database, smtp, clock);
  afterAll(async () => {
    await app.close();
    await smtp.stop();
    await database.drop();
  });

  it("sends a message with the same Message-ID on every attempt, derived from its row", async () => {
    const email = "same-id@example.com";
    expect(
      (
        await new Client(app).post("/auth/sign-up", {
          email,
          name: "Same",
          password: STRONG_PASSWORD,
        })
      ).status,
    ).toBe(201);
    smtp.refuseNext = 1;
    await app.outbox.drain();
    let [row] = await outboxRowsTo(app, email);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    clock.advance(10_000);
    await app.outbox.drain();
    [row] = await outboxRowsTo(app, email);
    expect(row).toMatchObject({ status: "sent", attempts: 2 });

    const refused = smtp.refused.filter((m) => m.to.includes(email));
    const received = smtp.to(email);
    expect(refused).toHaveLength(1);
    expect(received).toHaveLength(1);
    const idOf = (m: Received | undefined) => parseMessage(m?.raw ?? "").headers.get("message-id");
    expect(idOf(received[0])).toBe(`<${row?.id}@atrium.test>`);
    expect(idOf(refused[0])).toBe(idOf(received[0]));
  });

  it("sends a burst over a few pooled connections, several messages at once", async () => {
    const addresses = await queue(app, "burst", 12);
    const connectionsBefore = smtp.connections;
    smtp.maxConcurrent = 0;
    smtp.delayMs = 200;
    try {
      await app.outbox.drain();
    } finally {
      smtp.delayMs = 0;
    }
    for (const address of addresses) expect(smtp.to(address)).toHaveLength(1);
    expect(smtp.connections - connectionsBefore).toBeLessThanOrEqual(3);
    expect(smtp.maxConcurrent).toBeGreaterThan(1);
  });

  it("delivers each message once with two workers on a server that takes 7 s a message", async () => {
    const other = await appWithSmtp(database, smtp, clock);
    try {
      const addresses = await queue(app, "slow", 12);
      // Each connection takes 7 s a message: an acceptance moves time on by 7 s shared among
      // the messages received together. A batch of ten claimed for 60 s runs out mid-batch.
      smtp.onAccepted = (together) => clock.advance(7_000 / together);
      smtp.delayMs = 10;
      let firstDone = false;
      const first = app.outbox.drain().finally(() => {
        firstDone = true;
      });
      await waitFor(() => smtp.receiving > 0 || firstDone, 10_000);
      // The other process polls, as its worker does, for as long as the first is sending.
      for (let polls = 0; !firstDone && polls < 5_000; polls++) {
        await other.outbox.drain();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await first;
      for (const address of addresses) expect(smtp.to(address), address).toHaveLength(1);
    } finally {
      smtp.onAccepted = () => {};
      smtp.delayMs = 0;
      await other.close();
    }
  });
});

describe("a send that takes longer than a claim", async () => {
  const database = await createTestDatabase();
  const clock = new FakeClock();
  const smtp = new SmtpSink();
  await smtp.start();
  const other = await appWithSmtp(database, smtp, clock);
  let release: () => void = () => {};
  let sending: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    sending = resolve;
  });
  const hanging: MailTransport = {
    send: () => {
      sending();
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    },
  };
  const app = await buildApp({
    config: other.deps.config,
    database: await database.open(),
    clock,
    mailTransport: hanging,
    workers: false,
  });
  await app.ready();
  afterAll(async () => {
    await app.close();
    await other.close();
    await smtp.stop();
    await database.drop();
  });

  it("keeps its claim renewed, so no other worker sends the message meanwhile", async () => {
    const [address = ""] = await queue(app, "long-send", 1);
    const sent = app.outbox.drain();
    await started;
    clock.advance(50_000);
    // The worker renews every 15 s while it sends.
    await new Promise((resolve) => setTimeout(resolve, 15_500));
    clock.advance(20_000);
    await other.outbox.drain();
    expect(smtp.to(address)).toHaveLength(0);
    release();
    await sent;
    const [row] = await outboxRowsTo(app, address);
    expect(row).toMatchObject({ status: "sent", attempts: 1 });
  }, 30_000);
});

describe("stopping the outbox worker", async () => {
  const database = await createTestDatabase();
  const stuck = new SmtpSink();
  await stuck.start();
  const fast = new SmtpSink();
  await fast.start();
  const clock = new FakeClock();
  const app = await appWithSmtp(database, stuck, clock);
  const other = await appWithSmtp(database, fast, clock);
  afterAll(async () => {
    await app.close();
    await other.close();
    await stuck.stop();
    await fast.stop();
    await database.drop();
  });

  it("returns within its bound with a large queue and gives the unsent messages back at once", async () => {
    const addresses = await queue(app, "stopping", 40);
    stuck.delayMs = 60_000;
    void app.outbox.drain();
    await waitFor(() => stuck.receiving === 3, 10_000);

    const started = Date.now();
    await app.outbox.stop();
    expect(Date.now() - started).toBeLessThan(8_000);

    const rows = await app.deps.db
      .selectFrom("outbox_emails")
      .select(["status", "locked_until"])
      .where("to_address", "like", "stopping-%")
      .execute();
    expect(rows).toHaveLength(40);
    expect(rows.every((row) => row.status === "pending" && row.locked_until === null)).toBe(true);

    // Another process sends them all now, not when a claim would have run out.
    await other.outbox.drain();
    for (const address of addresses) expect(fast.to(address), address).toHaveLength(1);
    expect(stuck.received).toHaveLength(0);
  });
});

describe("the log line of a failed delivery", async () => {
  const lines: string[] = [];
  const database = await createTestDatabase();
  const mailbox = new Mailbox();
  const app = await buildApp({
    config: loadConfig({ PUBLIC_URL, DATABASE_URL: database.url }),
    database: await database.open(),
    mailTransport: mailbox,
    workers: false,
    logger: createLogger(
      "info",
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    ),
  });
  await app.ready();
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it("gives the reason as readable text", async () => {
    mailbox.failing = true;
    const [address = ""] = await queue(app, "log-line", 1);
    await app.outbox.drain();
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "email delivery failed");
    expect(line).toMatchObject({ level: 40, attempts: 1, err: "SMTP server unavailable" });
    expect(line.emailId).toMatch(/^msg_/);
    expect(JSON.stringify(line)).not.toContain(address);
  });
});
