import type { FastifyRequest } from "fastify";
import type { RequestMeta } from "../lib/request-meta.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Read once per request from the app's clock. */
    now: Date;
  }
}

/** The request as a service sees it. `request.ip` honours ATRIUM_TRUST_PROXY (Fastify's trustProxy). */
export function metaOf(request: FastifyRequest): RequestMeta {
  const userAgent = request.headers["user-agent"];
  return {
    ipAddress: request.ip,
    userAgent: typeof userAgent === "string" ? userAgent.slice(0, 512) : null,
    requestId: request.id,
    now: request.now,
  };
}
