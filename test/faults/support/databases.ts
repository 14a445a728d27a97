import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { createPGlite } from "../../../src/db/database.js";
import { databaseUrlFor } from "../../support/database-url.js";

/** True when the run is on PostgreSQL (DATABASE_URL set): for tests of several processes or outages. */
export const onPostgres: boolean = Boolean(process.env.DATABASE_URL);

export interface FreshDatabase {
  kind: "pglite" | "postgres";
  /** What to pass to startAtrium (DATABASE_URL or ATRIUM_DATA_DIR). */
  env: Record<string, string>;
  /** PostgreSQL: this test's database. */
  url?: string;
  /** PGlite: the data folder. */
  dataDir?: string;
  drop(): Promise<void>;
}

/**
 * A database for one test, already migrated: on PostgreSQL a copy of the run's template, on
 * PGlite a new data folder loaded from the run's snapshot.
 */
export async function freshDatabase(): Promise<FreshDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const dir = mkdtempSync(join(tmpdir(), "atrium-faults-"));
    const dataDir = join(dir, "data");
    const snapshot = readFileSync(inject("pgliteSnapshot"));
    const pglite = await createPGlite({ dataDir, loadDataDir: new Blob([snapshot]) });
    await pglite.close();
    return {
      kind: "pglite",
      env: { ATRIUM_DATA_DIR: dataDir },
      dataDir,
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `atrium_f_${randomBytes(6).toString("hex")}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name} TEMPLATE ${inject("postgresTemplate")}`);
  const url = databaseUrlFor(serverUrl, name);
  return {
    kind: "postgres",
    env: { DATABASE_URL: url },
    url,
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(serverUrl: string, query: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  client.on("error", () => {}); // a terminated backend must not take the test run down
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

/**
 * Runs one query on a fresh database from the test. On PGlite the data folder must not be held
 * by a running process (the lock), so call it only while every Atrium on it is stopped.
 */
export async function queryFresh<T>(
  database: FreshDatabase,
  query: string,
  params: unknown[] = [],
): Promise<T[]> {
  if (database.url) {
    const client = new pg.Client({ connectionString: database.url });
    client.on("error", () => {});
    await client.connect();
    try {
      return (await client.query(query, params)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const pglite = await createPGlite({ dataDir: database.dataDir });
  try {
    return (await pglite.query<T>(query, params)).rows;
  } finally {
    await pglite.close();
  }
}
