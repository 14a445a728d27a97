import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import { countPendingEmails } from "../mail/outbox.queries.js";
import { httpDuration, httpRequests, outboxBacklog, registry } from "./metrics.js";

const digest = (text: string) => createHash("sha256").update(text).digest();
const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/**
 * GET /metrics for Prometheus. With ATRIUM_METRICS_TOKEN, a scraper sends it as a bearer
 * token (compared in constant time); without it, only clients on this machine may scrape, and
 * only when no proxy is trusted: a reverse proxy on this machine makes every client a loopback peer.
 */
export function metricsRoutes(app: FastifyInstance, deps: Deps): void {
  // Every answered request, labelled by its route template (never the URL, which may hold a
  // token); requests that match no route share one label.
  app.addHook("onResponse", async (request, reply) => {
    const labels = {
      route: request.routeOptions.url ?? "unmatched",
      method: request.method,
      status: String(reply.statusCode),
    };
    httpRequests.inc(labels);
    httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
  app.get(
    "/metrics",
    {
      config: { public: true, ownCredentials: true },
      schema: {
        tags: ["meta"],
        operationId: "getMetrics",
        summary: "Prometheus metrics",
        description:
          "For a Prometheus scraper: with `ATRIUM_METRICS_TOKEN` set, the caller sends it as a " +
          "bearer token; without it, only clients on this machine. Changes nothing.",
        response: {
          200: {
            description: "The metrics, Prometheus text format.",
            content: { "text/plain": { schema: Type.String() } },
          },
        },
        errors: ["unauthenticated", "forbidden"],
      },
    },
    async (request, reply) => {
      const token = deps.config.metricsToken;
      if (token) {
        const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
        if (!timingSafeEqual(digest(presented), digest(token))) {
          throw fail("unauthenticated", "Send the metrics token as a bearer token.");
        }
      } else if (deps.config.trustProxy !== false) {
        throw fail("forbidden", "Behind a proxy, metrics need ATRIUM_METRICS_TOKEN.");
      } else if (!LOOPBACK.has(request.socket.remoteAddress ?? "")) {
        // The socket's peer, not request.ip: a trusted proxy's X-Forwarded-For could claim 127.0.0.1.
        throw fail(
          "forbidden",
          "Metrics are served to this machine only unless ATRIUM_METRICS_TOKEN is set.",
        );
      }
      outboxBacklog.set(await countPendingEmails(deps.db));
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
}
