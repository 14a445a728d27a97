import type { FastifyInstance, FastifyRequest } from "fastify";
import { isWellFormedApiKey } from "../api-keys/api-key-secret.js";
import { validateApiKey } from "../api-keys/api-keys.service.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import { POLICIES, perAddress, takeAttempt } from "../rate-limit/rate-limit.js";
import type { AuthState } from "../sessions/session-cache.js";
import { isFresh, validateSession } from "../sessions/sessions.service.js";
import { clearSessionCookie, setSessionCookie } from "./session-cookie.js";

declare module "fastify" {
  interface FastifyRequest {
    auth: AuthState | null;
  }
  interface FastifyContextConfig {
    /** Routes on the public list (SECURITY.md ACL-01); every other route requires authentication. */
    public?: boolean;
    /** The route checks a credential of its own (GET /metrics): Atrium's are not read. */
    ownCredentials?: boolean;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The request's gate, before its body is read: the CSRF check for state-changing requests,
 * then the session cookie resolved to an account. Authentication is the default; a route opts
 * out by declaring `config: { public: true }`.
 */
export function registerAuthentication(app: FastifyInstance, deps: Deps): void {
  const { config } = deps;
  app.decorateRequest("auth", null);

  app.addHook("onRequest", async (request, reply) => {
    if (request.routeOptions.config.ownCredentials) return;
    const authorization = request.headers.authorization;
    // A bearer key is the request's credential when present; a cookie is then ignored.
    const token =
      authorization === undefined ? request.cookies[config.sessionCookieName] : undefined;

    if (!SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      // A foreign Origin is refused outright; a cookie without any Origin could be a forged
      // cross-site form post from an old browser, so it is refused too. Browsers never send
      // a bearer key on their own, so a key needs no Origin.
      if (origin !== undefined ? origin !== config.publicOrigin : token !== undefined) {
        throw fail(
          "forbidden_origin",
          "This request must come from the Atrium web console's origin.",
        );
      }
    }

    if (authorization !== undefined) {
      request.auth = await authenticateBearer(deps, authorization, request.ip, request.now);
    } else if (token !== undefined) {
      const validated = await validateSession(deps, token, request.now);
      if (validated) {
        request.auth = validated.state;
        if (validated.renewed) setSessionCookie(reply, config, validated.renewed, request.now);
      } else {
        clearSessionCookie(reply, config);
      }
    }
    if (!request.auth && !request.routeOptions.config.public && !request.is404) {
      throw fail("unauthenticated", "Sign in to continue.");
    }
  });
}

/**
 * `Authorization: Bearer atr_…`. A wrong (well-formed) key answers 401 and counts against the
 * client address like a failed sign-in; past the limit, 429.
 */
async function authenticateBearer(
  deps: Deps,
  authorization: string,
  ip: string,
  now: Date,
): Promise<AuthState> {
  const secret = /^Bearer ([^\s]+)$/i.exec(authorization)?.[1];
  const key = secret ? await validateApiKey(deps, secret, now) : undefined;
  if (key) return key;
  // A malformed or mistyped key (wrong scheme, prefix, length or checksum) can never match: it
  // was refused without a database read, and is not counted either. Guesses worth limiting
  // are well formed (the checksum is no secret), and those are counted below.
  if (!secret || !isWellFormedApiKey(secret)) {
    throw fail("unauthenticated", "The API key is invalid, expired or revoked.");
  }
  const limit = await takeAttempt(
    deps.db,
    [{ key: perAddress("apikey", ip), policy: POLICIES.signInPerAddress }],
    now,
  );
  if (!limit.allowed) {
    throw fail("rate_limited", "Too many failed API key attempts; try again later.", {
      retryAfter: limit.retryAfter,
    });
  }
  throw fail("unauthenticated", "The API key is invalid, expired or revoked.");
}

/** The signed-in account of a route that requires authentication. */
export function authOf(request: FastifyRequest): AuthState {
  if (!request.auth) throw fail("unauthenticated", "Sign in to continue.");
  return request.auth;
}

/** For what only a browser session can do (signing out, re-authenticating): not with an API key. */
export function sessionAuthOf(request: FastifyRequest): AuthState {
  const auth = authOf(request);
  if (auth.apiKey)
    throw fail("forbidden", "This needs a signed-in session; an API key cannot do it.");
  return auth;
}

/**
 * For changes to the account itself (profile, sessions, keys, verification emails) and for
 * what spans the whole account (its sessions): a key bound to one organization acts only
 * inside it, so it may read the account's profile but not change it or see its devices.
 */
export function accountAuthOf(request: FastifyRequest): AuthState {
  const auth = authOf(request);
  if (auth.apiKey?.organizationId) {
    throw fail(
      "forbidden",
      "This API key is bound to an organization; it cannot act on the account beyond it.",
    );
  }
  return auth;
}

/** For sensitive actions: the session must have authenticated recently (SECURITY.md SESS-06). */
export function freshAuthOf(deps: Deps, request: FastifyRequest): AuthState {
  const auth = authOf(request);
  if (!isFresh(deps, auth, request.now)) {
    throw fail(
      "session_not_fresh",
      auth.apiKey
        ? "An API key never counts as a fresh sign-in: do this from a signed-in session."
        : "Confirm your password to continue (POST /api/v1/auth/reauthenticate).",
    );
  }
  return auth;
}
