import type { FastifyInstance, FastifyRequest } from "fastify";
import type { PersonCaller } from "../access/caller.js";
import { isWellFormedApiKey } from "../api-keys/api-key-secret.js";
import { validateApiKey } from "../api-keys/api-keys.service.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import { POLICIES, perAddress, takeAttempt } from "../rate-limit/rate-limit.js";
import { validateSession } from "../sessions/sessions.service.js";
import { clearSessionCookie, setSessionCookie } from "./session-cookie.js";

declare module "fastify" {
  interface FastifyRequest {
    auth: PersonCaller | null;
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
): Promise<PersonCaller> {
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

/**
 * The caller of a route that requires authentication. What the caller may do is decided by
 * the service it calls (src/access/policy.ts), not here.
 */
export function authOf(request: FastifyRequest): PersonCaller {
  if (!request.auth) throw fail("unauthenticated", "Sign in to continue.");
  return request.auth;
}
