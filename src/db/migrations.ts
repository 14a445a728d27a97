import { type Kysely, sql } from "kysely";
import * as m0001 from "./migrations/0001-accounts-and-sessions.js";
import * as m0002 from "./migrations/0002-organizations.js";
import * as m0003 from "./migrations/0003-member-search.js";
import * as m0004 from "./migrations/0004-api-keys-and-audit-chain.js";
import * as m0005 from "./migrations/0005-account-token-epoch.js";
import * as m0006 from "./migrations/0006-known-devices.js";
import * as m0007 from "./migrations/0007-audit-chain-key.js";
import * as m0008 from "./migrations/0008-member-search-by-organization.js";
import * as m0009 from "./migrations/0009-session-devices.js";
import * as m0010 from "./migrations/0010-identities.js";
import * as m0011 from "./migrations/0011-former-slugs.js";

/** Every migration, in order. A migration is never edited once released: add a new one. */
const MIGRATIONS: ReadonlyArray<{ version: string; up: string }> = [
  { version: "0001-accounts-and-sessions", up: m0001.up },
  { version: "0002-organizations", up: m0002.up },
  { version: "0003-member-search", up: m0003.up },
  { version: "0004-api-keys-and-audit-chain", up: m0004.up },
  { version: "0005-account-token-epoch", up: m0005.up },
  { version: "0006-known-devices", up: m0006.up },
  { version: "0007-audit-chain-key", up: m0007.up },
  { version: "0008-member-search-by-organization", up: m0008.up },
  { version: "0009-session-devices", up: m0009.up },
  { version: "0010-identities", up: m0010.up },
  { version: "0011-former-slugs", up: m0011.up },
];

// Any constant works; it only has to be the same in every Atrium process.
const MIGRATION_LOCK = 7_201_117;

/**
 * Applies pending migrations, each in its own transaction. A transaction-scoped advisory lock
 * makes processes that start together apply each migration once.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists.
export async function migrate(db: Kysely<any>): Promise<string[]> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  const applied: string[] = [];
  for (const migration of MIGRATIONS) {
    const done = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
      const existing =
        await sql`SELECT 1 FROM schema_migrations WHERE version = ${migration.version}`.execute(
          trx,
        );
      if (existing.rows.length > 0) return false;
      await sql.raw(migration.up).execute(trx);
      await sql`INSERT INTO schema_migrations (version) VALUES (${migration.version})`.execute(trx);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}

// biome-ignore lint/suspicious/noExplicitAny: as above.
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const exists = await sql<{
    name: string | null;
  }>`SELECT to_regclass('schema_migrations')::text AS name`.execute(db);
  if (!exists.rows[0]?.name) return MIGRATIONS.map((m) => m.version);
  const rows = await sql<{ version: string }>`SELECT version FROM schema_migrations`.execute(db);
  const done = new Set(rows.rows.map((r) => r.version));
  return MIGRATIONS.map((m) => m.version).filter((v) => !done.has(v));
}
