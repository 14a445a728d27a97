import type { LightMyRequestResponse } from "fastify";
import { afterAll, expect } from "vitest";
import { type AtriumApp, buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import type { Clock } from "../../src/lib/request-meta.js";
import type { EmailMessage } from "../../src/mail/outbox.js";
import type { MailTransport } from "../../src/mail/transports.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

export const PUBLIC_URL = "http://atrium.test";

/** A clock the test moves by hand, to reach expiry without waiting. */
export class FakeClock implements Clock {
  #now = Date.now();
  now(): Date {
    return new Date(this.#now);
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** A real mail transport that keeps what it is given, so tests can read and follow links. */
export class Mailbox implements MailTransport {
  readonly messages: Array<EmailMessage & { from: string }> = [];
  /** When set, sending throws, like an SMTP server that is down. */
  failing = false;

  async send(message: EmailMessage & { from: string }): Promise<void> {
    if (this.failing) throw new Error("SMTP server unavailable");
    this.messages.push(message);
  }

  to(address: string): Array<EmailMessage & { from: string }> {
    return this.messages.filter((m) => m.to === address);
  }

  /** The token of the newest link to `path` sent to `address`. */
  tokenFor(address: string, path: "verify-email" | "reset-password" | "invite"): string {
    const pattern =
      path === "invite"
        ? /\/invite\/([A-Za-z0-9_-]+)/
        : new RegExp(`/${path}\\?token=([A-Za-z0-9_-]+)`);
    for (const message of [...this.to(address)].reverse()) {
      const match = pattern.exec(message.text);
      if (match?.[1]) return match[1];
    }
    throw new Error(`no ${path} link was sent to ${address}`);
  }
}

export interface TestApp {
  app: AtriumApp;
  clock: FakeClock;
  mailbox: Mailbox;
  database: TestDatabase;
  /** A new browser-like client (own cookie jar and client address). */
  client(options?: { ip?: string; userAgent?: string }): Client;
  /** Delivers everything in the outbox now. */
  flushMail(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Share a database with another app (two Atrium processes on one database). */
  database?: TestDatabase;
}

let clientCounter = 0;

/**
 * An Atrium app on this test file's own database, with a fake clock and a mailbox. Closed
 * (and its database dropped) after the file's tests.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const clock = new FakeClock();
  const mailbox = new Mailbox();
  const config = loadConfig({
    PUBLIC_URL,
    LOG_LEVEL: "silent",
    DATABASE_URL: database.url,
    ...options.env,
  });
  const app = await buildApp({
    config,
    database: await database.open(),
    clock,
    mailTransport: mailbox,
    workers: false,
    // An error answer its route does not declare fails the test (test/support/declared-errors.ts).
    checkDeclaredErrors: true,
  });
  await app.ready();
  afterAll(async () => {
    await app.close();
    if (!options.database) await database.drop();
  });
  return {
    app,
    clock,
    mailbox,
    database,
    client: (clientOptions) => new Client(app, clientOptions),
    flushMail: async () => {
      await app.deps.background.idle();
      await app.outbox.drain();
    },
  };
}

export interface Reply {
  status: number;
  headers: LightMyRequestResponse["headers"];
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the tests' assertions.
  body: any;
  raw: LightMyRequestResponse;
}

/**
 * Speaks to the app as a browser on the console's origin would: keeps the session cookie and
 * sends `Origin` with state-changing requests. Each client has its own address, so per-address
 * rate limits do not leak between tests.
 */
export class Client {
  cookie: string | undefined;
  /** The device cookie: kept, like a browser does, across sign-outs. */
  device: string | undefined;
  readonly ip: string;
  readonly userAgent: string;

  constructor(
    private readonly app: AtriumApp,
    options: { ip?: string; userAgent?: string } = {},
  ) {
    clientCounter++;
    this.ip =
      options.ip ??
      `10.${(clientCounter >> 16) & 255}.${(clientCounter >> 8) & 255}.${clientCounter & 255}`;
    this.userAgent = options.userAgent ?? `test-client/${clientCounter}`;
  }

  /** A header given as undefined is not sent: `{ origin: undefined }` is a script without Origin. */
  async request(
    method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE",
    path: string,
    body?: unknown,
    headers: Record<string, string | undefined> = {},
  ): Promise<Reply> {
    const url =
      path.startsWith("/api/") || path.startsWith("/healthz") || path.startsWith("/readyz")
        ? path
        : `/api/v1${path}`;
    const allHeaders: Record<string, string> = { "user-agent": this.userAgent };
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) allHeaders[name] = value;
    }
    if (method !== "GET" && !("origin" in headers)) allHeaders.origin = PUBLIC_URL;
    if (!("cookie" in headers)) {
      const cookies = [
        ...(this.cookie ? [`atrium_session=${this.cookie}`] : []),
        ...(this.device ? [`atrium_device=${this.device}`] : []),
      ];
      if (cookies.length > 0) allHeaders.cookie = cookies.join("; ");
    }
    if (body !== undefined && !("content-type" in headers))
      allHeaders["content-type"] = "application/json";
    const response = await this.app.inject({
      method,
      url,
      headers: allHeaders,
      remoteAddress: this.ip,
      ...(body === undefined
        ? {}
        : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const setCookie = response.cookies.find((c) => c.name === "atrium_session");
    if (setCookie)
      this.cookie = setCookie.value === "" || setCookie.maxAge === 0 ? undefined : setCookie.value;
    const setDevice = response.cookies.find((c) => c.name === "atrium_device");
    if (setDevice) this.device = setDevice.value;
    let parsed: unknown;
    try {
      parsed = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      parsed = response.body;
    }
    return { status: response.statusCode, headers: response.headers, body: parsed, raw: response };
  }

  get(path: string, headers?: Record<string, string | undefined>) {
    return this.request("GET", path, undefined, headers);
  }
  post(path: string, body?: unknown, headers?: Record<string, string | undefined>) {
    return this.request("POST", path, body, headers);
  }
  patch(path: string, body?: unknown, headers?: Record<string, string | undefined>) {
    return this.request("PATCH", path, body, headers);
  }
  delete(path: string, headers?: Record<string, string | undefined>) {
    return this.request("DELETE", path, undefined, headers);
  }
}

let userCounter = 0;

export const STRONG_PASSWORD = "violet-kettle-harbour-42";

/** Signs a new account up through the API; the client is then signed in as it. */
export async function signUpUser(
  t: TestApp,
  overrides: { email?: string; name?: string; password?: string; client?: Client } = {},
) {
  userCounter++;
  const client = overrides.client ?? t.client();
  const email = overrides.email ?? `user${userCounter}-${Date.now()}@example.com`;
  const name = overrides.name ?? `Test User ${userCounter}`;
  const password = overrides.password ?? STRONG_PASSWORD;
  const reply = await client.post("/auth/sign-up", { email, name, password });
  if (reply.status !== 201)
    throw new Error(`sign-up failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return {
    client,
    email,
    name,
    password,
    user: reply.body.user as { id: string; email: string; name: string },
  };
}

/** Asserts a refusal: its status and the contract's error code (the body explains a mismatch). */
/** The audit events with this action, about one account when `subjectUserId` is given. */
export function auditEvents(t: TestApp, action: string, subjectUserId?: string) {
  let query = t.app.deps.db.selectFrom("audit_events").selectAll().where("action", "=", action);
  if (subjectUserId !== undefined) query = query.where("subject_user_id", "=", subjectUserId);
  return query.execute();
}

export function expectError(reply: Reply, status: number, code: string, message?: string): void {
  expect(reply.status, message ?? JSON.stringify(reply.body)).toBe(status);
  expect(errorCode(reply), message).toBe(code);
}

/** Asserts the contract's error shape and code. */
export function errorCode(reply: Reply): string | undefined {
  return reply.body?.error?.code;
}
