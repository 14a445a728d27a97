import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
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

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.logger);
  let pglite = options.pglite;
  if (!pglite) {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    pglite = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  }
  return openEmbedded(pglite, !options.pglite);
}

function openEmbedded(pglite: PGlite, ownsInstance: boolean): Database {
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  const unlisteners: Array<Promise<() => Promise<void>>> = [];
  const notifications: Notifications = {
    // In-process: notifications cannot be lost.
    healthy: true,
    subscribe(channel, handler) {
      unlisteners.push(pglite.listen(channel, handler));
    },
    onGap() {},
  };
  return {
    kind: "pglite",
    db,
    notifications,
    async close() {
      for (const unlisten of await Promise.all(unlisteners)) await unlisten();
      await db.destroy();
      if (ownsInstance) await pglite.close();
    },
  };
}

function openPostgres(databaseUrl: string, logger: Logger | undefined): Database {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
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
