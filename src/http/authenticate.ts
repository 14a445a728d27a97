import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
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
    const token = request.cookies[config.sessionCookieName];

    if (!SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      // A foreign Origin is refused outright; a cookie without any Origin could be a forged
      // cross-site form post from an old browser, so it is refused too.
      if (origin !== undefined ? origin !== config.publicOrigin : token !== undefined) {
        throw fail(
          "forbidden_origin",
          "This request must come from the Atrium web console's origin.",
        );
      }
    }

    if (token !== undefined) {
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

/** The signed-in account of a route that requires authentication. */
export function authOf(request: FastifyRequest): AuthState {
  if (!request.auth) throw fail("unauthenticated", "Sign in to continue.");
  return request.auth;
}

/** For sensitive actions: the session must have authenticated recently (SECURITY.md SESS-06). */
export function freshAuthOf(deps: Deps, request: FastifyRequest): AuthState {
  const auth = authOf(request);
  if (!isFresh(deps, auth, request.now)) {
    throw fail(
      "session_not_fresh",
      "Confirm your password to continue (POST /api/v1/auth/reauthenticate).",
    );
  }
  return auth;
}
