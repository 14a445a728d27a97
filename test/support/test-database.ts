import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { inject } from "vitest";
import {
  createPGlite,
  type Database,
  type OpenDatabaseOptions,
  openDatabase,
} from "../../src/db/database.js";
import { databaseUrlFor } from "./database-url.js";

export interface TestDatabase {
  /**
   * Opens a connection to this test's database (several apps may share it, like processes);
   * on PostgreSQL optionally through another address (a proxy) or with other timeouts.
   */
  open(options?: Pick<OpenDatabaseOptions, "databaseUrl" | "timeouts">): Promise<Database>;
  /** What Atrium's DATABASE_URL would be (undefined on the embedded database). */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database of this test file's own: a copy of the run's template on
 * PostgreSQL, or the snapshot loaded into a new in-memory PGlite.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const snapshot = readFileSync(inject("pgliteSnapshot"));
    const pglite = await createPGlite({ loadDataDir: new Blob([snapshot]) });
    const opened: Database[] = [];
    return {
      url: undefined,
      async open() {
        const database = await openDatabase({ pglite });
        opened.push(database);
        return database;
      },
      async drop() {
        for (const database of opened) await database.close();
        await pglite.close();
      },
    };
  }

  const name = `atrium_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject("postgresTemplate")}`);
  await admin.end();
  const url = databaseUrlFor(serverUrl, name);
  const opened: Database[] = [];
  return {
    url,
    async open(options) {
      const database = await openDatabase({ databaseUrl: url, ...options });
      opened.push(database);
      return database;
    },
    async drop() {
      for (const database of opened) await database.close();
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
