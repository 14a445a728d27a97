import { randomUUID } from "node:crypto";
import cookie from "@fastify/cookie";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { sql } from "kysely";
import type { Logger } from "pino";
import { accountRoutes } from "./accounts/accounts.routes.js";
import { PasswordHasher } from "./accounts/password-hasher.js";
import { apiKeyRoutes } from "./api-keys/api-keys.routes.js";
import { auditRoutes } from "./audit/audit.routes.js";
import type { Config } from "./config.js";
import { type Database, openDatabase } from "./db/database.js";
import { migrate } from "./db/migrations.js";
import type { Deps } from "./deps.js";
import { registerAuthentication } from "./http/authenticate.js";
import { registerErrorHandling } from "./http/error-handler.js";
import { createLogger } from "./http/logging.js";
import { registerOpenApi, registerOpenApiRoutes } from "./http/openapi.js";
import { registerSecurityHeaders } from "./http/security-headers.js";
import { registerGracefulShutdown } from "./http/shutdown.js";
import { invitationRoutes } from "./invitations/invitations.routes.js";
import { type Clock, systemClock } from "./lib/request-meta.js";
import { createOutboxWorker, type OutboxWorker } from "./mail/outbox-worker.js";
import { logTransport, type MailTransport, smtpTransport } from "./mail/transports.js";
import { startMaintenance } from "./maintenance.js";
import { membershipRoutes } from "./memberships/memberships.routes.js";
import { metricsRoutes } from "./metrics/metrics.routes.js";
import { controlSocketPath, startControlServer } from "./operator/control-socket.js";
import { organizationRoutes } from "./organizations/organizations.routes.js";
import { SessionCache } from "./sessions/session-cache.js";
import { sessionRoutes } from "./sessions/sessions.routes.js";

export interface BuildAppOptions {
  config: Config;
  /** An open database; otherwise one is opened from the config (and closed with the app). */
  database?: Database;
  /** Where email goes; otherwise SMTP_URL, or the log. */
  mailTransport?: MailTransport;
  clock?: Clock;
  logger?: Logger;
  /** Start the outbox worker and the maintenance sweep (default true). */
  workers?: boolean;
}

export interface AtriumApp extends FastifyInstance {
  deps: Deps;
  database: Database;
  outbox: OutboxWorker;
}

/** Request bodies over this are refused with 413 before parsing (SECURITY.md INP-01). */
const BODY_LIMIT = 64 * 1024;

/** The services' dependencies on an open database (also what operator commands run on). */
export function createDeps(
  config: Config,
  database: Database,
  logger: Logger,
  clock: Clock = systemClock,
): Deps {
  return {
    config,
    db: database.db,
    clock,
    logger,
    passwords: new PasswordHasher(),
    sessionCache: new SessionCache(database.notifications),
  };
}

/** Builds the whole application without listening: what `atrium serve` and the tests both use. */
export async function buildApp(options: BuildAppOptions): Promise<AtriumApp> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const database =
    options.database ??
    (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger }));
  await migrate(database.db);
  // The embedded database has no autovacuum to keep planner statistics current; without them
  // a keyset page over a large table can turn into a full scan and sort.
  if (database.kind === "pglite") await sql`ANALYZE`.execute(database.db);

  const deps = createDeps(config, database, logger, clock);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy,
    genReqId: () => randomUUID(),
    // Requests during shutdown get the contract's 503 (below), not Fastify's own body.
    return503OnClosing: false,
    ajv: {
      // Exact types (no coercion), unknown fields refused rather than dropped (SECURITY.md INP-02).
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        allErrors: true,
        useDefaults: true,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Only JSON bodies are accepted (415 otherwise), which also stops form-post CSRF.
  app.removeContentTypeParser("text/plain");

  const transport =
    options.mailTransport ??
    (config.smtpUrl ? smtpTransport(config.smtpUrl) : logTransport(logger));
  const outbox = createOutboxWorker({
    db: database.db,
    transport,
    notifications: database.notifications,
    logger,
    clock,
    from: config.mailFrom,
    publicUrl: config.publicUrl,
  });

  app.decorate("deps", deps);
  app.decorate("database", database);
  app.decorate("outbox", outbox);
  app.decorateRequest("now", null as unknown as Date);

  app.addHook("onRequest", async (request) => {
    request.now = clock.now();
  });
  registerGracefulShutdown(app);
  await app.register(cookie);
  await registerOpenApi(app);
  registerErrorHandling(app);
  registerSecurityHeaders(app, config);
  registerAuthentication(app, deps);

  app.get(
    "/healthz",
    { config: { public: true }, schema: { tags: ["meta"], description: "The process is up." } },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/readyz",
    { config: { public: true }, schema: { tags: ["meta"], description: "The database answers." } },
    async (_request, reply) => {
      try {
        await sql`SELECT 1`.execute(database.db);
        return { status: "ok" };
      } catch {
        return reply
          .code(503)
          .send({ error: { code: "unavailable", message: "The database is not reachable." } });
      }
    },
  );
  metricsRoutes(app, deps);
  await registerOpenApiRoutes(app);

  await app.register(
    async (api) => {
      accountRoutes(api, deps);
      sessionRoutes(api, deps);
      organizationRoutes(api, deps);
      membershipRoutes(api, deps);
      invitationRoutes(api, deps);
      apiKeyRoutes(api, deps);
      auditRoutes(api, deps);
    },
    { prefix: "/api/v1" },
  );

  // Operator commands reach a server that holds the embedded database through its control socket.
  const stopControl =
    !options.database && database.kind === "pglite"
      ? await startControlServer(deps, controlSocketPath(config.dataDir))
      : undefined;

  let stopMaintenance = () => {};
  if (options.workers !== false) {
    app.addHook("onReady", async () => {
      outbox.start();
      stopMaintenance = startMaintenance(deps, logger, database.kind === "pglite");
    });
  }
  // The outbox stops while in-flight requests finish, not after them.
  let outboxStopped: Promise<void> | undefined;
  app.addHook("preClose", async () => {
    stopMaintenance();
    outboxStopped = outbox.stop();
  });
  app.addHook("onClose", async () => {
    stopMaintenance();
    await stopControl?.();
    await (outboxStopped ?? outbox.stop());
    if (!options.database) await database.close();
  });

  return app as unknown as AtriumApp;
}
