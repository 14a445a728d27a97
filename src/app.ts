import { randomUUID } from "node:crypto";
import cookie from "@fastify/cookie";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { sql } from "kysely";
import type { Logger } from "pino";
import Type from "typebox";
import { accountRoutes } from "./accounts/accounts.routes.js";
import { PasswordHasher } from "./accounts/password-hasher.js";
import { apiKeyRoutes } from "./api-keys/api-keys.routes.js";
import { auditRoutes } from "./audit/audit.routes.js";
import { registerAuditChainKey } from "./audit/audit-chain.js";
import type { Config } from "./config.js";
import { type Database, openDatabase } from "./db/database.js";
import { migrate } from "./db/migrations.js";
import type { Deps } from "./deps.js";
import { registerAuthentication } from "./http/authenticate.js";
import { registerConsole } from "./http/console.js";
import { registerDeclaredErrors } from "./http/declared-errors.js";
import {
  clientErrorHandler,
  frameworkErrorHandler,
  registerErrorHandling,
} from "./http/error-handler.js";
import { createLogger } from "./http/logging.js";
import { registerOpenApi, registerOpenApiRoutes } from "./http/openapi.js";
import { Json } from "./http/responses.js";
import { registerSecurityHeaders } from "./http/security-headers.js";
import { registerGracefulShutdown } from "./http/shutdown.js";
import { identityRoutes } from "./identities/identities.routes.js";
import { invitationRoutes } from "./invitations/invitations.routes.js";
import { BackgroundTasks } from "./lib/background-tasks.js";
import { fail } from "./lib/errors.js";
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
  /**
   * Turn an error answer that its route does not declare into a 500 naming it (the test
   * suite's check that the OpenAPI document lists every code a route answers).
   */
  checkDeclaredErrors?: boolean;
}

export interface AtriumApp extends FastifyInstance {
  deps: Deps;
  database: Database;
  outbox: OutboxWorker;
}

const Health = Type.Object({ status: Type.String({ description: "`ok`" }) });
/** How long /readyz waits for the database before answering 503. */
const READY_TIMEOUT_MS = 1000;

/** Request bodies over this are refused with 413 before parsing (SECURITY.md INP-01). */
const BODY_LIMIT = 64 * 1024;

/**
 * Fastify 5 trusts nobody when given a bare hop count, so ATRIUM_TRUST_PROXY=N becomes a function
 * that believes the addresses the nearest N proxies appended, and none a client wrote before them.
 */
function trustProxyOption(trust: Config["trustProxy"]) {
  return typeof trust === "number" ? (_address: string, hop: number) => hop < trust : trust;
}

/** Headers take milliseconds to send; a client taking longer is holding a connection, not slow. */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Slow-drip clients (a body byte every few seconds) would otherwise hold a connection for ever:
 * the whole request must arrive within ATRIUM_REQUEST_TIMEOUT (408 otherwise), its headers within
 * 10 s, and a connection idle that long is closed. Node checks the deadlines once a second.
 */
function serverTimeouts(requestTimeoutMs: number) {
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs);
  return {
    requestTimeout: requestTimeoutMs,
    connectionTimeout: requestTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout,
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
    },
  };
}

/** The services' dependencies on an open database (also what operator commands run on). */
export function createDeps(
  config: Config,
  database: Database,
  logger: Logger,
  clock: Clock = systemClock,
): Deps {
  registerAuditChainKey(database.db, config.auditChainKey);
  return {
    config,
    db: database.db,
    clock,
    logger,
    passwords: new PasswordHasher(),
    sessionCache: new SessionCache(database.notifications),
    background: new BackgroundTasks(logger),
  };
}

/** Builds the whole application without listening: what `atrium serve` and the tests both use. */
export async function buildApp(options: BuildAppOptions): Promise<AtriumApp> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      logger,
      timeouts: {
        statementTimeoutMs: config.dbStatementTimeoutMs,
        connectTimeoutMs: config.dbConnectTimeoutMs,
      },
    }));
  await database.withoutTimeouts((db) => migrate(db));
  // The embedded database has no autovacuum to keep planner statistics current; without them
  // a keyset page over a large table can turn into a full scan and sort.
  if (database.kind === "pglite") await sql`ANALYZE`.execute(database.db);

  const deps = createDeps(config, database, logger, clock);

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    ...serverTimeouts(config.requestTimeoutMs),
    trustProxy: trustProxyOption(config.trustProxy),
    genReqId: () => randomUUID(),
    // Answers given before any hook runs, in the contract's shape with the security headers.
    frameworkErrors: frameworkErrorHandler(config),
    clientErrorHandler: clientErrorHandler(config),
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
  registerDeclaredErrors(app, { enforce: options.checkDeclaredErrors === true });
  await registerOpenApi(app, config);
  registerErrorHandling(app);
  registerSecurityHeaders(app, config);
  registerAuthentication(app, deps);

  app.get(
    "/healthz",
    {
      config: { public: true },
      schema: {
        tags: ["meta"],
        operationId: "getHealth",
        summary: "Is the process up",
        description: "Answers while the process runs, whatever the database. Anyone may call it.",
        response: { 200: Json("The process is up.", Health) },
      },
    },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/readyz",
    {
      config: { public: true },
      schema: {
        tags: ["meta"],
        operationId: "getReadiness",
        summary: "Is the service ready",
        description:
          "200 while the database answers, 503 `unavailable` otherwise (take the process out of " +
          "the load balancer). Anyone may call it.",
        // Its 503 `unavailable` is one that every route declares.
        response: { 200: Json("The database answers.", Health) },
      },
    },
    async () => {
      // A probe must answer fast whatever the database does: a load balancer waits for it.
      if (await database.ping(READY_TIMEOUT_MS)) return { status: "ok" };
      throw fail("unavailable", "The database is not reachable.", { retryAfter: 5 });
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
      identityRoutes(api, deps);
    },
    { prefix: "/api/v1" },
  );
  await registerConsole(app);

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
    await deps.background.idle();
    await stopControl?.();
    await (outboxStopped ?? outbox.stop());
    if (!options.database) await database.close();
  });

  return app as unknown as AtriumApp;
}
