import type { FastifyInstance } from "fastify";
import { fail } from "../lib/errors.js";

/** A keep-alive connection still idle this long into shutdown is closed. */
const IDLE_CLOSE_MS = 1_000;
/** From here on, a new request on a connection still open is refused (503) rather than served. */
const REFUSE_AFTER_MS = 5_000;
/** Connections still open now are closed, whatever they are doing. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Graceful shutdown (app.close(), which `atrium serve` calls on SIGTERM): the port closes at
 * once, so a balancer's new connections are refused and go to another process; requests in
 * flight finish. A request that arrives on a keep-alive connection already open is served,
 * with `Connection: close`, for the first seconds: closing such a connection outright races
 * with a client that is writing to it, and would fail a request that no other process saw.
 * Later ones get the contract's 503 with Retry-After; at SHUTDOWN_GRACE_MS every connection
 * is closed.
 */
export function registerGracefulShutdown(app: FastifyInstance): void {
  let draining = false;
  let refusing = false;
  const timers: NodeJS.Timeout[] = [];

  app.addHook("onRequest", async () => {
    if (refusing) {
      throw fail("unavailable", "The server is shutting down; try again.", { retryAfter: 1 });
    }
  });
  app.addHook("onSend", async (_request, reply) => {
    // Only once the port is closed: a client that reconnects is then refused, not dropped.
    if (draining && !app.server.listening) reply.header("connection", "close");
  });
  app.addHook("preClose", async () => {
    draining = true;
    const server = app.server;
    const closeIdle = server.closeIdleConnections.bind(server);
    // Node's close() would drop every idle keep-alive connection at once (see above).
    server.closeIdleConnections = () => {};
    timers.push(
      setTimeout(closeIdle, IDLE_CLOSE_MS),
      setTimeout(() => {
        refusing = true;
        closeIdle();
      }, REFUSE_AFTER_MS),
      setTimeout(() => {
        app.log.warn(
          "requests still running at the end of the shutdown grace period: closing them",
        );
        server.closeAllConnections();
      }, SHUTDOWN_GRACE_MS),
    );
  });
  app.addHook("onClose", async () => {
    for (const timer of timers) clearTimeout(timer);
  });
}
