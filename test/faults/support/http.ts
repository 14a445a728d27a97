import type { SmtpSink } from "./smtp-sink.js";
/** What every fault test's processes share: the address people use (the CSRF check compares Origin with it). */
export const PUBLIC_URL = "http://atrium.test";
export const PASSWORD = "violet-kettle-harbour-42";

/**
 * Env for processes that believe X-Forwarded-For from 127.0.0.1. Per-address limits (30 sign-ups
 * an hour, 50 free sign-ins) would otherwise stop a test that signs up many accounts from one
 * loopback address; `call(…, { ip })` then gives each request its own client address.
 */
/** What `call` sends to /metrics: behind a trusted proxy, loopback alone no longer opens it. */
export const METRICS_TOKEN = "fault-tests-metrics-token";
export const TRUST_LOCAL_PROXY = {
  ATRIUM_TRUST_PROXY: "127.0.0.1",
  ATRIUM_METRICS_TOKEN: METRICS_TOKEN,
} as const;

let addressCounter = 0;
/** A distinct client address (10.x.y.z) for each call. */
export function nextClientIp(): string {
  addressCounter++;
  return `10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`;
}

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the tests' assertions.
  body: any;
  /** "atrium_session=…" when the answer set the session cookie. */
  cookie: string | undefined;
  /** The `x-answered-by` header (a process name behind the round-robin proxy), else "". */
  answeredBy: string;
  retryAfter: string | null;
}

/**
 * One JSON request to `${base}/api/v1${path}` (or `${base}${path}` for paths outside the API,
 * such as /readyz), as a browser-like client sends it: `Origin` on state-changing requests, the
 * session cookie when given. Bounded by `timeoutMs` (default 15 s).
 */
export async function call(
  base: string,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  options: {
    body?: unknown;
    cookie?: string | undefined;
    timeoutMs?: number;
    /** Sent as X-Forwarded-For: the client address when the process trusts 127.0.0.1 as its proxy (TRUST_LOCAL_PROXY). */
    ip?: string;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.ip) headers["x-forwarded-for"] = options.ip;
  if (method !== "GET") headers.origin = PUBLIC_URL;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.cookie) headers.cookie = options.cookie;
  // Ignored by a process without ATRIUM_METRICS_TOKEN, which serves loopback scrapers.
  if (path.startsWith("/metrics")) headers.authorization = `Bearer ${METRICS_TOKEN}`;
  const full = path.startsWith("/api/") || !path.startsWith("/") ? path : `/api/v1${path}`;
  const outside = ["/readyz", "/healthz", "/metrics"].some((p) => path.startsWith(p));
  const response = await fetch(`${base}${outside ? path : full}`, {
    method,
    headers,
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (a proxy error, /metrics): kept as text
  }
  const cookie = response.headers
    .getSetCookie()
    .find((c) => c.startsWith("atrium_session="))
    ?.split(";")[0];
  return {
    status: response.status,
    body,
    cookie,
    answeredBy: response.headers.get("x-answered-by") ?? "",
    retryAfter: response.headers.get("retry-after"),
  };
}

/** Signs up a new account; returns its session cookie and id. Throws with the answer otherwise. */
export async function signUp(
  base: string,
  email: string,
  name = "Fault Tester",
  extra: { invitationToken?: string; ip?: string } = {},
): Promise<{ cookie: string; userId: string }> {
  const { invitationToken, ip } = extra;
  const answer = await call(base, "POST", "/auth/sign-up", {
    body: { email, password: PASSWORD, name, ...(invitationToken ? { invitationToken } : {}) },
    ...(ip ? { ip } : {}),
  });
  if (answer.status !== 201 || !answer.cookie) {
    throw new Error(
      `sign-up of ${email} answered ${answer.status} (by ${answer.answeredBy || "?"}): ${JSON.stringify(answer.body)}`,
    );
  }
  return { cookie: answer.cookie, userId: answer.body.user.id };
}

/**
 * Verifies an account's email from the link the SMTP sink received: email invitations need an
 * inviter whose address is verified. Throws when the link does not arrive within `timeoutMs`.
 */
export async function verifyEmail(
  base: string,
  sink: SmtpSink,
  email: string,
  { timeoutMs = 30_000, ip }: { timeoutMs?: number; ip?: string } = {},
): Promise<void> {
  const message = await eventually(
    `the verification email to ${email}`,
    () =>
      sink.messages().find((m) => m.to.includes(email) && m.text.includes("/verify-email?token=")),
    { timeoutMs },
  );
  const token = /\/verify-email\?token=([^\s&"<>]+)/.exec(message.text)?.[1];
  const answer = await call(base, "POST", "/auth/verify-email", {
    body: { token },
    ...(ip ? { ip } : {}),
  });
  if (answer.status >= 300) {
    throw new Error(`verifying ${email} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, for at most `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 30_000, everyMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
