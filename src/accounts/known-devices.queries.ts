import type { Kysely, Transaction } from "kysely";
import type { DB, KnownDeviceRow } from "../db/schema.js";

type Executor = Kysely<DB> | Transaction<DB>;

export function findKnownDeviceByTokenHash(
  db: Executor,
  tokenHash: string,
): Promise<KnownDeviceRow | undefined> {
  return db
    .selectFrom("known_devices")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .executeTakeFirst();
}

export async function insertKnownDevice(db: Executor, row: KnownDeviceRow): Promise<void> {
  await db.insertInto("known_devices").values(row).execute();
}

export async function touchKnownDevice(db: Executor, id: string, now: Date): Promise<void> {
  await db.updateTable("known_devices").set({ last_used_at: now }).where("id", "=", id).execute();
}

/** Keeps the account's `keep` most recently used devices and deletes the others. */
export async function deleteUserDevicesBeyond(
  db: Executor,
  userId: string,
  keep: number,
): Promise<void> {
  await db
    .deleteFrom("known_devices")
    .where("user_id", "=", userId)
    .where(
      "id",
      "not in",
      db
        .selectFrom("known_devices")
        .select("id")
        .where("user_id", "=", userId)
        .orderBy("last_used_at", "desc")
        .orderBy("id", "desc")
        .limit(keep),
    )
    .execute();
}

export async function deleteUserDevices(db: Executor, userId: string): Promise<void> {
  await db.deleteFrom("known_devices").where("user_id", "=", userId).execute();
}

export async function deleteDevicesUnusedSince(db: Executor, before: Date): Promise<void> {
  await db.deleteFrom("known_devices").where("last_used_at", "<", before).execute();
}
