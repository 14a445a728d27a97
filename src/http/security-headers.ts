import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";

/** Headers every response carries, errors included (SECURITY.md HDR-01). */
export function registerSecurityHeaders(app: FastifyInstance, config: Config): void {
  app.addHook("onSend", async (request, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    reply.header("cross-origin-resource-policy", "same-origin");
    reply.header("x-request-id", request.id);
    if (!reply.hasHeader("content-security-policy")) {
      reply.header("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    }
    // API responses are personal data: never kept by a browser or a shared cache.
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
    if (config.secureCookies)
      reply.header("strict-transport-security", "max-age=31536000; includeSubDomains");
    return payload;
  });
}
