import type { Kysely, Transaction } from "kysely";
import { CALLER_ACCOUNT_COLUMNS } from "../accounts/accounts.queries.js";
import type { ApiKeyRow, DB } from "../db/schema.js";

type Executor = Kysely<DB> | Transaction<DB>;

export async function insertApiKey(db: Executor, row: ApiKeyRow): Promise<void> {
  await db.insertInto("api_keys").values(row).execute();
}

/** The key and its owner in one read: the only query of an uncached request with a key. */
export function findApiKeyWithUser(db: Executor, secretHash: string) {
  return db
    .selectFrom("api_keys as k")
    .innerJoin("users as u", "u.id", "k.user_id")
    .select([
      "k.id",
      "k.organization_id",
      "k.created_at",
      "k.last_used_at",
      "k.expires_at",
      "k.revoked_at",
      ...CALLER_ACCOUNT_COLUMNS,
    ])
    .where("k.secret_hash", "=", secretHash)
    .executeTakeFirst();
}

export function listUserApiKeys(
  db: Executor,
  userId: string,
  page: {
    limit: number;
    afterId?: string | undefined;
    onlyOrganizationId?: string | null | undefined;
  },
) {
  let query = db
    .selectFrom("api_keys")
    .select(["id", "name", "prefix", "organization_id", "created_at", "last_used_at", "expires_at"])
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null);
  if (page.onlyOrganizationId) query = query.where("organization_id", "=", page.onlyOrganizationId);
  if (page.afterId) query = query.where("id", ">", page.afterId);
  return query.orderBy("id").limit(page.limit).execute();
}

/** Revokes one of the user's keys; another user's key matches nothing. */
export async function revokeUserApiKey(db: Executor, userId: string, id: string, now: Date) {
  return db
    .updateTable("api_keys")
    .set({ revoked_at: now })
    .where("id", "=", id)
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .returning(["id", "name", "prefix"])
    .executeTakeFirst();
}

/** Revokes every live key of the user (password reset, disabled account); returns their ids. */
export async function revokeAllUserApiKeys(
  db: Executor,
  userId: string,
  now: Date,
): Promise<string[]> {
  const rows = await db
    .updateTable("api_keys")
    .set({ revoked_at: now })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

export async function touchApiKey(db: Executor, id: string, now: Date): Promise<void> {
  await db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", id).execute();
}

export async function countLiveUserApiKeys(db: Executor, userId: string): Promise<number> {
  const row = await db
    .selectFrom("api_keys")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The ids of the keys bound to an organization (they go with it, by cascade). */
export async function listOrganizationApiKeyIds(
  db: Executor,
  organizationId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom("api_keys")
    .select("id")
    .where("organization_id", "=", organizationId)
    .execute();
  return rows.map((r) => r.id);
}
