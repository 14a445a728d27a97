import type { Kysely, Transaction } from "kysely";
import type { DB, IdentityRow, OAuthFlowRow } from "../db/schema.js";

type Executor = Kysely<DB> | Transaction<DB>;

export async function insertOAuthFlow(db: Executor, row: OAuthFlowRow): Promise<void> {
  await db.insertInto("oauth_flows").values(row).execute();
}

/**
 * Takes the flow for this state out of the table, if this browser started it and it has not
 * expired: one statement, so a callback replayed in parallel finds it at most once. A request
 * without the browser's cookie consumes nothing (it cannot burn someone else's flow).
 */
export function consumeOAuthFlow(
  db: Executor,
  where: { stateHash: string; browserHash: string; provider: string; now: Date },
): Promise<OAuthFlowRow | undefined> {
  return db
    .deleteFrom("oauth_flows")
    .where("state_hash", "=", where.stateHash)
    .where("browser_hash", "=", where.browserHash)
    .where("provider", "=", where.provider)
    .where("expires_at", ">", where.now)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteExpiredOAuthFlows(db: Executor, now: Date): Promise<void> {
  await db.deleteFrom("oauth_flows").where("expires_at", "<=", now).execute();
}

export function findIdentity(
  db: Executor,
  issuer: string,
  subject: string,
): Promise<IdentityRow | undefined> {
  return db
    .selectFrom("identities")
    .selectAll()
    .where("issuer", "=", issuer)
    .where("subject", "=", subject)
    .executeTakeFirst();
}

/** Inserts unless (issuer, subject) is linked already; false when it was. */
export async function insertIdentity(db: Executor, row: IdentityRow): Promise<boolean> {
  const inserted = await db
    .insertInto("identities")
    .values(row)
    .onConflict((oc) => oc.columns(["issuer", "subject"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function touchIdentity(
  db: Executor,
  id: string,
  set: { email: string | null; last_used_at: Date },
): Promise<void> {
  await db.updateTable("identities").set(set).where("id", "=", id).execute();
}

export function listUserIdentities(db: Executor, userId: string): Promise<IdentityRow[]> {
  return db
    .selectFrom("identities")
    .selectAll()
    .where("user_id", "=", userId)
    .orderBy("id")
    .execute();
}

/** The account's identities, locked: unlinking counts what is left under this lock. */
export function lockUserIdentities(db: Transaction<DB>, userId: string): Promise<IdentityRow[]> {
  return db
    .selectFrom("identities")
    .selectAll()
    .where("user_id", "=", userId)
    .orderBy("id")
    .forUpdate()
    .execute();
}

/** Deletes every identity of the account; returns what was deleted. */
export function deleteUserIdentities(db: Executor, userId: string): Promise<IdentityRow[]> {
  return db.deleteFrom("identities").where("user_id", "=", userId).returningAll().execute();
}

export async function deleteIdentity(db: Executor, userId: string, id: string): Promise<boolean> {
  const deleted = await db
    .deleteFrom("identities")
    .where("user_id", "=", userId)
    .where("id", "=", id)
    .returning("id")
    .executeTakeFirst();
  return deleted !== undefined;
}
