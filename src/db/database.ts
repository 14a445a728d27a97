import { randomBytes } from "node:crypto";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, sql } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
import { lockDataDir } from "./data-dir-lock.js";
import { secureDataDir } from "./data-dir-permissions.js";
import { PGliteDialect } from "./pglite-dialect.js";
import type { DB } from "./schema.js";

export type Channel = "atrium_auth" | "atrium_outbox";

/**
 * Postgres LISTEN/NOTIFY, for telling every Atrium process on the database that something
 * changed (a session revoked, an email queued).
 */
export interface Notifications {
  /**
   * True while everything committed more than 0.8 s ago is known to have been delivered
   * here (a heartbeat sent since then came back). False while the listener is down, being
   * replaced or silent: messages may be missed, so caches must not be trusted.
   */
  readonly healthy: boolean;
  subscribe(channel: Channel, handler: (payload: string) => void): void;
  /** Called when messages may have been lost (the listener dropped or came back). */
  onGap(handler: () => void): void;
  /**
   * Call before sending a message; the returned function resolves once this process has
   * received it back (or after `timeoutMs`, or once the listener is found dead). The
   * server hands a notification to every listener at the same moment, so waiting for our own
   * copy, a loopback delivery, keeps the gap in which another process has not yet heard of a
   * revocation to about nothing.
   */
  expect(channel: Channel, payload: string): (timeoutMs: number) => Promise<void>;
}

export interface DatabaseTimeouts {
  /** The longest a statement may run; the server cancels it, the request gets a 503. */
  statementTimeoutMs: number;
  /** The longest a request waits for a connection (a new one, or a free one of the pool). */
  connectTimeoutMs: number;
}

export const DEFAULT_TIMEOUTS: DatabaseTimeouts = {
  statementTimeoutMs: 5000,
  connectTimeoutMs: 5000,
};

export interface Database {
  readonly kind: "pglite" | "postgres";
  readonly db: Kysely<DB>;
  readonly notifications: Notifications;
  /** Whether the database answers within `timeoutMs` (for /readyz); never throws, never waits longer. */
  ping(timeoutMs: number): Promise<boolean>;
  /** Runs work that may legitimately take long (migrations) without the statement timeout. */
  withoutTimeouts<T>(work: (db: Kysely<DB>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  /** An already-open embedded database (tests load one from a migrated snapshot). */
  pglite?: PGlite;
  logger?: Logger | undefined;
  timeouts?: Partial<DatabaseTimeouts> | undefined;
}

/** An embedded database with the extensions Atrium's migrations use (pg_trgm for member search). */
export function createPGlite(options: Omit<PGliteOptions, "extensions"> = {}): Promise<PGlite> {
  return PGlite.create({ ...options, extensions: { pg_trgm } });
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    return openPostgres(options.databaseUrl, timeouts, options.logger);
  }
  if (options.pglite) return openEmbedded(options.pglite, undefined);
  if (options.dataDir) secureDataDir(options.dataDir);
  const unlock = options.dataDir ? lockDataDir(options.dataDir) : undefined;
  try {
    const pglite = await createPGlite(options.dataDir ? { dataDir: options.dataDir } : {});
    // A new database's files are written 0666 whatever the umask: repaired once they exist.
    if (options.dataDir) secureDataDir(options.dataDir);
    return openEmbedded(pglite, async () => {
      await pglite.close();
      unlock?.();
    });
  } catch (error) {
    unlock?.();
    throw error;
  }
}

/** `release` closes an instance this module opened; one passed in by the caller stays open. */
function openEmbedded(pglite: PGlite, release: (() => Promise<void>) | undefined): Database {
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  const unlisteners: Array<Promise<() => Promise<void>>> = [];
  const notifications: Notifications = {
    // In-process: notifications cannot be lost.
    healthy: true,
    subscribe(channel, handler) {
      unlisteners.push(pglite.listen(channel, handler));
    },
    onGap() {},
    // In-process delivery happens during the commit itself.
    expect: () => async () => {},
  };
  return {
    kind: "pglite",
    db,
    notifications,
    // In-process: nothing to lose on the way, but a long statement holds the one connection.
    ping: (timeoutMs) =>
      withinTime(
        sql`SELECT 1`.execute(db).then(() => true),
        timeoutMs,
      ),
    withoutTimeouts: (work) => work(db),
    async close() {
      for (const unlisten of await Promise.all(unlisteners)) await unlisten();
      await db.destroy();
      await release?.();
    },
  };
}

/** Resolves to false when `attempt` fails or takes longer than `timeoutMs`. */
async function withinTime(attempt: Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([attempt.catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

// bigint columns (counts, audit sequence numbers) as numbers, as PGlite returns them: every
// value Atrium stores in one is far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Settings every connection to PostgreSQL shares. */
function connectionConfig(
  databaseUrl: string,
  timeouts: DatabaseTimeouts,
  role: "atrium" | "atrium-listener" = "atrium",
): pg.ClientConfig {
  return {
    connectionString: databaseUrl,
    // Names the connection in pg_stat_activity (an operator, or a test, finds the listener).
    application_name: role,
    // A peer that vanished without a FIN/RST (a NAT or firewall timeout, a failover) is noticed
    // on an idle connection too.
    keepAlive: true,
    keepAliveInitialDelayMillis: 5000,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
  };
}

// A server that answers nothing (a blackholed network) never cancels anything: the client
// gives up this long after the server would have.
const READ_GRACE_MS = 1000;
const QUERY_READ_TIMEOUT = "Query read timeout";

function openPostgres(
  databaseUrl: string,
  timeouts: DatabaseTimeouts,
  logger: Logger | undefined,
): Database {
  const pool = new pg.Pool({
    ...connectionConfig(databaseUrl, timeouts),
    max: 10,
    statement_timeout: timeouts.statementTimeoutMs,
    query_timeout: timeouts.statementTimeoutMs + READ_GRACE_MS,
  });
  // A client that loses its server must not crash the process, whether idle (the pool listens)
  // or in use (nobody does, and an 'error' event without a listener ends the process). The
  // query using it fails (503) and the pool drops it; one short line says what happened.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.on("error", (error: Error & { code?: string }) =>
      logger?.warn({ reason: error.message, code: error.code }, "database connection lost"),
    );
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: dropAfterReadTimeout(pool) }) });
  const listener = new PostgresListener(
    connectionConfig(databaseUrl, timeouts, "atrium-listener"),
    logger,
  );
  return {
    kind: "postgres",
    db,
    notifications: listener,
    ping: (timeoutMs) =>
      withinTime(
        (async () => {
          const client = await pool.connect();
          try {
            await client.query({ text: "SELECT 1", query_timeout: timeoutMs } as pg.QueryConfig);
            client.release();
            return true;
          } catch (error) {
            client.release(error as Error);
            return false;
          }
        })(),
        timeoutMs,
      ),
    async withoutTimeouts(work) {
      const single = new pg.Pool({ ...connectionConfig(databaseUrl, timeouts), max: 1 });
      single.on("error", (error) => logger?.warn({ err: error }, "database connection failed"));
      const unbounded = new Kysely<DB>({ dialect: new PostgresDialect({ pool: single }) });
      try {
        return await work(unbounded);
      } finally {
        await unbounded.destroy();
      }
    },
    async close() {
      await listener.close();
      await db.destroy();
    },
  };
}

/**
 * The pool as Kysely sees it, except that a connection whose query timed out without an answer
 * is failed at once for the rest of its checkout (the rollback would wait as long again) and
 * then dropped from the pool instead of being handed to the next request.
 */
function dropAfterReadTimeout(pool: pg.Pool): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect();
      let broken: Error | undefined;
      const query = async (text: string, parameters: ReadonlyArray<unknown>) => {
        if (broken) throw broken;
        try {
          return await client.query(text, [...parameters]);
        } catch (error) {
          if (error instanceof Error && error.message === QUERY_READ_TIMEOUT) broken = error;
          throw error;
        }
      };
      // Atrium never streams with a cursor: only the (sql, parameters) form is needed.
      return { query, release: () => client.release(broken) } as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

// The listener proves it is alive with a NOTIFY to itself every HEARTBEAT_MS. Notifications
// reach a listener in commit order, so an echo of a heartbeat sent at time S proves that every
// change committed before S has been applied here. The cache is trusted only while the newest
// echo is of a heartbeat sent within TRUST_MS: a revocation is refused everywhere within that
// time of its commit, whatever happened to the connection. With no echo for DEAD_AFTER_MS the
// connection is declared dead and replaced.
const HEARTBEAT_MS = 250;
const TRUST_MS = 800;
const DEAD_AFTER_MS = 3000;

/**
 * One dedicated connection that LISTENs, checks itself with heartbeats, and is replaced (with
 * backoff) when it drops or falls silent.
 */
class PostgresListener implements Notifications {
  #client: pg.Client | undefined;
  /** LISTENing and at least one heartbeat came back on the current connection. */
  #live = false;
  /** When the newest heartbeat that came back was sent (performance.now()). */
  #confirmedSentAt = Number.NEGATIVE_INFINITY;
  /** Past this, the current connection (or the attempt to open one) is given up. */
  #deadline = 0;
  #listening = false;
  #beating = false;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #retryDelay = 100;
  #retryTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  readonly #heartbeatChannel = `atrium_heartbeat_${randomBytes(8).toString("hex")}`;
  readonly #handlers = new Map<string, Array<(payload: string) => void>>();
  readonly #gapHandlers: Array<() => void> = [];
  // Keyed by channel and payload; an entry of a transaction that rolled back is never met and
  // is pruned when it is old.
  readonly #expected = new Map<string, { since: number; resolvers: Array<() => void> }>();

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly logger: Logger | undefined,
  ) {}

  get healthy(): boolean {
    return this.#live && performance.now() - this.#confirmedSentAt <= TRUST_MS;
  }

  subscribe(channel: Channel, handler: (payload: string) => void): void {
    const handlers = this.#handlers.get(channel);
    if (handlers) {
      handlers.push(handler);
      return;
    }
    this.#handlers.set(channel, [handler]);
    const client = this.#client;
    if (client && this.#listening) {
      this.#query(client, `LISTEN ${channel}`).catch(() => this.#lost(client));
    } else if (!client) {
      void this.#connect();
    }
  }

  onGap(handler: () => void): void {
    this.#gapHandlers.push(handler);
  }

  expect(channel: Channel, payload: string): (timeoutMs: number) => Promise<void> {
    const key = `${channel}\n${payload}`;
    let arrive!: () => void;
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const now = Date.now();
    for (const [stale, entry] of this.#expected)
      if (now - entry.since > 10_000) this.#expected.delete(stale);
    const waiting = this.#expected.get(key) ?? { since: now, resolvers: [] };
    waiting.resolvers.push(arrive);
    this.#expected.set(key, waiting);
    return async (timeoutMs) => {
      // A listener that is down will not bring it back; one that is only slow (a loaded
      // machine) will, and the others' are as slow.
      if (this.#live) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          arrived,
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, timeoutMs);
          }),
        ]);
        clearTimeout(timer);
      }
      const entry = this.#expected.get(key);
      if (!entry) return;
      entry.resolvers = entry.resolvers.filter((resolver) => resolver !== arrive);
      if (entry.resolvers.length === 0) this.#expected.delete(key);
    };
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client(this.config);
    this.#client = client;
    this.#queue = Promise.resolve();
    this.#deadline = performance.now() + (this.config.connectionTimeoutMillis ?? 0) + DEAD_AFTER_MS;
    this.#heartbeatTimer = setInterval(() => this.#beat(client), HEARTBEAT_MS);
    this.#heartbeatTimer.unref();
    client.on("error", () => this.#lost(client));
    client.on("end", () => this.#lost(client));
    client.on("notification", (message) => {
      if (message.channel === this.#heartbeatChannel) {
        this.#echoed(Number(message.payload));
        return;
      }
      for (const handler of this.#handlers.get(message.channel) ?? [])
        handler(message.payload ?? "");
      // Our own message is back: whoever waits for it may answer now.
      const key = `${message.channel}\n${message.payload ?? ""}`;
      const waiting = this.#expected.get(key);
      if (!waiting) return;
      this.#expected.delete(key);
      for (const resolve of waiting.resolvers) resolve();
    });
    try {
      await client.connect();
      for (const channel of [this.#heartbeatChannel, ...this.#handlers.keys()]) {
        await client.query(`LISTEN ${channel}`);
      }
      if (this.#client !== client) return;
      this.#listening = true;
      this.#deadline = performance.now() + DEAD_AFTER_MS;
      this.#beat(client);
    } catch (error) {
      if (this.#client === client) {
        this.logger?.warn({ err: error }, "database listener could not connect; retrying");
      }
      this.#lost(client);
    }
  }

  /** Queries on the listener's connection, one after the other (pg wants no overlap). */
  #query(client: pg.Client, text: string, values?: unknown[]): Promise<unknown> {
    const next = this.#queue.then(() => client.query(text, values));
    this.#queue = next.catch(() => {});
    return next;
  }

  #beat(client: pg.Client): void {
    if (this.#client !== client) return;
    const now = performance.now();
    if (now > this.#deadline) {
      this.logger?.warn(
        { silentForMs: Math.round(now - this.#confirmedSentAt) },
        "database listener stopped answering; replacing it",
      );
      this.#lost(client);
      return;
    }
    // One at a time: on a silent connection they would only queue up behind each other.
    if (!this.#listening || this.#beating) return;
    this.#beating = true;
    this.#query(client, "SELECT pg_notify($1, $2)", [this.#heartbeatChannel, String(now)]).then(
      () => {
        if (this.#client === client) this.#beating = false;
      },
      () => this.#lost(client),
    );
  }

  #echoed(sentAt: number): void {
    if (!(sentAt > this.#confirmedSentAt)) return;
    this.#confirmedSentAt = sentAt;
    this.#deadline = sentAt + DEAD_AFTER_MS;
    if (this.#live) return;
    this.#live = true;
    this.#retryDelay = 100;
    // Anything sent while we were away is lost: caches start over.
    for (const handler of this.#gapHandlers) handler();
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    clearInterval(this.#heartbeatTimer);
    const wasLive = this.#live;
    this.#live = false;
    this.#listening = false;
    this.#beating = false;
    this.#confirmedSentAt = Number.NEGATIVE_INFINITY;
    client.removeAllListeners("notification");
    // Nothing expected will arrive on this connection: nobody waits for it any longer.
    for (const waiting of this.#expected.values())
      for (const resolve of waiting.resolvers) resolve();
    this.#expected.clear();
    // A query still waiting on a silent connection makes end() drop the socket at once.
    client.end().catch(() => {});
    if (wasLive) {
      this.logger?.warn("database listener lost; the session cache is bypassed until it is back");
      for (const handler of this.#gapHandlers) handler();
    }
    if (this.#closed) return;
    this.#retryTimer = setTimeout(() => void this.#connect(), this.#retryDelay);
    this.#retryTimer.unref();
    this.#retryDelay = Math.min(this.#retryDelay * 2, 2000);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#heartbeatTimer);
    const client = this.#client;
    this.#client = undefined;
    this.#live = false;
    if (client) await client.end().catch(() => {});
  }
}
