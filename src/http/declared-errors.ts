import type { FastifyInstance, RouteOptions } from "fastify";
import { ERROR_STATUS, type ErrorCode, errorBody, fail } from "../lib/errors.js";

declare module "fastify" {
  interface FastifySchema {
    /**
     * The contract's error codes that this route answers with of its own (`not_found`,
     * `forbidden`, `last_owner`…). Those that every route of its kind may answer are added by
     * `declaredErrors`; the OpenAPI document publishes both.
     */
    errors?: readonly ErrorCode[];
  }
  interface FastifyContextConfig {
    /** Every code the route may answer, its own and its kind's (set when the route is added). */
    declaredErrors?: ReadonlySet<ErrorCode>;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** What each code means, for the document's response descriptions. */
const MEANING: Record<ErrorCode, string> = {
  invalid_request: "the request or one of its fields is invalid (`details` names the fields)",
  unauthenticated: "no valid session cookie or API key",
  invalid_credentials: "the email or the password is wrong",
  session_not_fresh:
    "the session must have signed in recently: confirm the password with " +
    "`POST /api/v1/auth/reauthenticate` (an API key never counts as fresh)",
  forbidden: "the caller's role, or its kind of credential, does not allow this",
  forbidden_origin: "a change carrying the session cookie without the web console's `Origin`",
  invalid_password: "the password given is wrong",
  invitation_email_mismatch: "the invitation was sent to another email address",
  email_not_verified: "the account's email address is not verified yet",
  signup_disabled: "this instance takes new accounts by invitation only",
  not_found: "nothing by that identifier or token is visible to the caller",
  method_not_allowed: "the path does not take this method (`Allow` lists those it takes)",
  email_taken: "another account uses this email address",
  conflict: "the change conflicts with the current state",
  last_owner: "it would leave an organization without an owner",
  request_timeout: "the request did not arrive in time",
  invitation_expired: "the invitation has expired",
  payload_too_large: "the body is over 64 KiB",
  uri_too_long: "a value in the path is too long",
  unsupported_media_type: "the body is not JSON",
  domain_not_allowed: "the organization does not accept this email domain",
  weak_password: "the new password is too weak (`details` says why)",
  rate_limited: "too many attempts: try again after `Retry-After` seconds",
  headers_too_large: "the request headers are too large",
  internal: "a fault on the server's side, of which nothing is revealed",
  unavailable:
    "the database is unreachable, the server is overloaded or shutting down: try again " +
    "after `Retry-After` seconds",
};

/** On a route on the public list, a 401 can only be about an API key it was sent anyway. */
const PUBLIC_UNAUTHENTICATED = "an API key was sent, and it is invalid, expired or revoked";

function methodsOf(route: Pick<RouteOptions, "method">): string[] {
  return [route.method].flat().map((method) => method.toUpperCase());
}

/**
 * Every error code a route may answer: the codes it declares itself (`schema.errors`), and
 * those that the one rule here gives every route of its kind, so that no route repeats them.
 * - any request: a fault (`internal`), an outage or shutdown (`unavailable`), and what the HTTP
 *   parser refuses (`request_timeout`, `headers_too_large`, a URL over that limit `uri_too_long`);
 * - a route that reads Atrium's credentials (all but /metrics): a bad API key is refused
 *   (`unauthenticated`), and guessing keys is limited per address (`rate_limited`), public
 *   routes included; without credentials a non-public route answers `unauthenticated`;
 * - input that is validated, and any body (malformed JSON): `invalid_request`;
 * - a path parameter: `uri_too_long` for one over 100 characters as well;
 * - a state-changing method: a body too large or not JSON, and the CSRF check's
 *   `forbidden_origin`.
 */
export function declaredErrors(route: Pick<RouteOptions, "method" | "schema" | "config">) {
  const schema = route.schema ?? {};
  const readsCredentials = !(route.config as { ownCredentials?: boolean } | undefined)
    ?.ownCredentials;
  const changesState = methodsOf(route).some((method) => !SAFE_METHODS.has(method));
  const codes = new Set<ErrorCode>([
    ...(schema.body || schema.querystring || schema.params || changesState
      ? (["invalid_request"] as const)
      : []),
    ...(readsCredentials ? (["unauthenticated", "rate_limited"] as const) : []),
    ...(changesState ? (["payload_too_large", "unsupported_media_type"] as const) : []),
    ...(changesState && readsCredentials ? (["forbidden_origin"] as const) : []),
    "request_timeout",
    "uri_too_long",
    "headers_too_large",
    "internal",
    "unavailable",
    ...(schema.errors ?? []),
  ]);
  return [...codes].sort((a, b) => ERROR_STATUS[a] - ERROR_STATUS[b] || a.localeCompare(b));
}

/** The codes grouped by their status, each with its meaning: one response per status. */
export function declaredResponses(
  codes: readonly ErrorCode[],
  options: { isPublic: boolean },
): Map<number, { codes: ErrorCode[]; description: string }> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const meaning = (code: ErrorCode) =>
    code === "unauthenticated" && options.isPublic ? PUBLIC_UNAUTHENTICATED : MEANING[code];
  return new Map(
    [...byStatus].map(([status, list]) => [
      status,
      { codes: list, description: list.map((code) => `\`${code}\`: ${meaning(code)}.`).join(" ") },
    ]),
  );
}

/**
 * The routes whose answers are checked: those of the API and its document, not the web
 * console's pages or the documentation viewer (hidden from the document).
 */
function isChecked(route: RouteOptions): boolean {
  return (
    !(route.schema as { hide?: boolean } | undefined)?.hide && !route.url.startsWith("/api/docs")
  );
}

const undeclared: string[] = [];

/** The undeclared answers given since the last call (a test fails on any). */
export function takeUndeclaredErrors(): string[] {
  return undeclared.splice(0);
}

function codeOf(payload: unknown): string | undefined {
  if (typeof payload !== "string" && !Buffer.isBuffer(payload)) return undefined;
  try {
    const code = (JSON.parse(String(payload)) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Works out each route's declared codes when it is added. With `enforce` (the test suite),
 * an error answer whose status and code the route did not declare becomes a 500 naming it,
 * and is recorded, as Logto's koa-guard does: a route cannot answer a code its document hides.
 */
export function registerDeclaredErrors(app: FastifyInstance, options: { enforce: boolean }): void {
  app.addHook("onRoute", (route) => {
    if (!isChecked(route)) return;
    route.config = { ...(route.config as object), declaredErrors: new Set(declaredErrors(route)) };
  });
  if (!options.enforce) return;

  app.addHook("onSend", async (request, reply, payload) => {
    const declared = request.routeOptions.config.declaredErrors;
    // Answers given before a route was found (no route, a malformed URL) have no declaration.
    if (reply.statusCode < 400 || !declared || request.is404) return payload;
    const code = codeOf(payload);
    const status = reply.statusCode;
    if (code && declared.has(code as ErrorCode) && ERROR_STATUS[code as ErrorCode] === status) {
      return payload;
    }
    const violation =
      `${request.method} ${request.routeOptions.url} answered ${status} ` +
      `${code ?? "without an error code"}, which it does not declare`;
    undeclared.push(violation);
    reply.code(500).type("application/json; charset=utf-8");
    return JSON.stringify(errorBody(fail("internal", `Undeclared error: ${violation}.`)));
  });
}
