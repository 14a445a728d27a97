import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { createPGlite } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrations.js";
import { PGliteDialect } from "../../src/db/pglite-dialect.js";
import { databaseUrlFor } from "./database-url.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** PGlite: a dump of a migrated data directory that each test file loads. */
    pgliteSnapshot: string;
    /** PostgreSQL: a migrated template database that each test file copies. */
    postgresTemplate: string;
  }
}

/**
 * Migrates one database per run, once: creating and migrating takes seconds, copying it
 * a fraction of that. Each test file then gets its own copy (see test-database.ts).
 */
export default async function setup(project: TestProject) {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const pglite = await createPGlite();
    const db = new Kysely({ dialect: new PGliteDialect(pglite) });
    await migrate(db);
    const dump = await pglite.dumpDataDir("none");
    await pglite.close();
    const dir = join(tmpdir(), `atrium-test-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "migrated.tar");
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    project.provide("pgliteSnapshot", file);
    project.provide("postgresTemplate", "");
    return () => rmSync(dir, { recursive: true, force: true });
  }

  const template = `atrium_tpl_${randomBytes(4).toString("hex")}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${template}`);
  const db = new Kysely({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ connectionString: databaseUrlFor(serverUrl, template), max: 1 }),
    }),
  });
  await migrate(db);
  await db.destroy();
  project.provide("pgliteSnapshot", "");
  project.provide("postgresTemplate", template);
  return () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
}

/**
 * A connection for one statement. One held open for the whole run would take the run down
 * (an unhandled 'error' event) when a fault test terminates backends on the server.
 */
async function adminQuery(serverUrl: string, query: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  admin.on("error", () => {});
  await admin.connect();
  try {
    await admin.query(query);
  } finally {
    await admin.end();
  }
}
