import type { FastifyRequest } from "fastify";
import { printable } from "../lib/printable.js";
import type { RequestMeta } from "../lib/request-meta.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Read once per request from the app's clock. */
    now: Date;
  }
}

/**
 * The request as a service sees it, and the only way request metadata reaches storage: the user
 * agent, and the address a trusted proxy forwarded (any text), with control characters escaped.
 * `request.ip` honours ATRIUM_TRUST_PROXY (Fastify's trustProxy).
 */
export function metaOf(request: FastifyRequest): RequestMeta {
  const userAgent = request.headers["user-agent"];
  return {
    ipAddress: printable(request.ip, 64),
    userAgent: typeof userAgent === "string" ? printable(userAgent, 512) : null,
    requestId: request.id,
    now: request.now,
  };
}
