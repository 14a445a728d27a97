import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { Kysely, PostgresDialect } from "kysely";
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
  /** False while the listener is disconnected: messages may be missed, so caches must not be trusted. */
  readonly healthy: boolean;
  subscribe(channel: Channel, handler: (payload: string) => void): void;
  /** Called when messages may have been lost (the listener dropped or came back). */
  onGap(handler: () => void): void;
  /**
   * Call before sending a message; the returned function resolves once this process has
   * received it back (or after `timeoutMs`). The server hands a notification to every
   * listener at the same moment, so waiting for our own copy keeps the gap in which another
   * process has not yet heard of a revocation to about one loopback delivery.
   */
  expect(channel: Channel, payload: string): (timeoutMs: number) => Promise<void>;
}

export interface Database {
  readonly kind: "pglite" | "postgres";
  readonly db: Kysely<DB>;
  readonly notifications: Notifications;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  /** An already-open embedded database (tests load one from a migrated snapshot). */
  pglite?: PGlite;
  logger?: Logger | undefined;
}

/** An embedded database with the extensions Atrium's migrations use (pg_trgm for member search). */
export function createPGlite(options: Omit<PGliteOptions, "extensions"> = {}): Promise<PGlite> {
  return PGlite.create({ ...options, extensions: { pg_trgm } });
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.logger);
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
    async close() {
      for (const unlisten of await Promise.all(unlisteners)) await unlisten();
      await db.destroy();
      await release?.();
    },
  };
}

// bigint columns (counts, audit sequence numbers) as numbers, as PGlite returns them: every
// value Atrium stores in one is far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

function openPostgres(databaseUrl: string, logger: Logger | undefined): Database {
  // A server that silently drops packets must fail requests (503), not hang them.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    connectionTimeoutMillis: 5000,
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on("error", (error) => logger?.warn({ err: error }, "idle database connection failed"));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const listener = new PostgresListener(databaseUrl, logger);
  return {
    kind: "postgres",
    db,
    notifications: listener,
    async close() {
      await listener.close();
      await db.destroy();
    },
  };
}

/** One dedicated connection that LISTENs, and reconnects with backoff when it drops. */
class PostgresListener implements Notifications {
  #client: pg.Client | undefined;
  #healthy = false;
  #closed = false;
  #retryDelay = 100;
  #timer: NodeJS.Timeout | undefined;
  readonly #handlers = new Map<string, Array<(payload: string) => void>>();
  readonly #gapHandlers: Array<() => void> = [];
  // Keyed by channel and payload; an entry of a transaction that rolled back is never met and
  // is pruned when it is old.
  readonly #expected = new Map<string, { since: number; resolvers: Array<() => void> }>();

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger | undefined,
  ) {}

  get healthy(): boolean {
    return this.#healthy;
  }

  subscribe(channel: Channel, handler: (payload: string) => void): void {
    const handlers = this.#handlers.get(channel);
    if (handlers) {
      handlers.push(handler);
      return;
    }
    this.#handlers.set(channel, [handler]);
    if (this.#client && this.#healthy) {
      this.#client.query(`LISTEN ${channel}`).catch(() => this.#lost());
    } else if (!this.#client) {
      void this.#connect();
    }
  }

  onGap(handler: () => void): void {
    this.#gapHandlers.push(handler);
  }

  expect(channel: Channel, payload: string): (timeoutMs: number) => Promise<void> {
    const key = `${channel}\n${payload}`;
    let resolveArrival!: () => void;
    const arrived = new Promise<void>((resolve) => {
      resolveArrival = resolve;
    });
    const now = Date.now();
    for (const [stale, entry] of this.#expected)
      if (now - entry.since > 10_000) this.#expected.delete(stale);
    const waiting = this.#expected.get(key) ?? { since: now, resolvers: [] };
    waiting.resolvers.push(resolveArrival);
    this.#expected.set(key, waiting);
    return async (timeoutMs) => {
      if (!this.#healthy) {
        // Nothing will arrive; the other processes' listeners are what matter, and they are not ours.
        this.#expected.delete(key);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        arrived,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
      this.#expected.delete(key);
    };
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.databaseUrl });
    this.#client = client;
    client.on("error", () => this.#lost());
    client.on("end", () => this.#lost());
    client.on("notification", (message) => {
      for (const handler of this.#handlers.get(message.channel) ?? [])
        handler(message.payload ?? "");
    });
    try {
      await client.connect();
      for (const channel of this.#handlers.keys()) await client.query(`LISTEN ${channel}`);
      if (this.#client !== client) return;
      this.#healthy = true;
      this.#retryDelay = 100;
      // Anything sent while we were away is lost: caches start over.
      for (const handler of this.#gapHandlers) handler();
    } catch (error) {
      this.logger?.warn({ err: error }, "database listener could not connect; retrying");
      this.#lost();
    }
  }

  #lost(): void {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    const wasHealthy = this.#healthy;
    this.#healthy = false;
    client.removeAllListeners("notification");
    client.end().catch(() => {});
    if (wasHealthy) for (const handler of this.#gapHandlers) handler();
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#connect(), this.#retryDelay);
    this.#timer.unref();
    this.#retryDelay = Math.min(this.#retryDelay * 2, 5000);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    this.#healthy = false;
    if (client) await client.end().catch(() => {});
  }
}
