import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";

/** Headers a route may set for itself (the API docs page has its own CSP); these are defaults. */
const DEFAULTS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  // API responses are personal data: never kept by a browser or a shared cache.
  "cache-control": "no-store",
};

/**
 * Headers every response carries, errors included (SECURITY.md HDR-01): also written by the
 * answers Fastify and Node give before any hook runs (a malformed URL, oversized headers).
 */
export function securityHeaders(config: Config): Record<string, string> {
  return {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-resource-policy": "same-origin",
    ...(config.secureCookies
      ? { "strict-transport-security": "max-age=31536000; includeSubDomains" }
      : {}),
    ...DEFAULTS,
  };
}

export function registerSecurityHeaders(app: FastifyInstance, config: Config): void {
  const headers = Object.entries(securityHeaders(config));
  app.addHook("onSend", async (request, reply, payload) => {
    for (const [name, value] of headers) {
      if (!(name in DEFAULTS && reply.hasHeader(name))) reply.header(name, value);
    }
    reply.header("x-request-id", request.id);
    return payload;
  });
}
