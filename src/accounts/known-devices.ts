import type { Kysely, Transaction } from "kysely";
import type { DB, KnownDeviceRow } from "../db/schema.js";
import { newId } from "../lib/ids.js";
import { hashToken, isWellFormedToken, newToken } from "../lib/tokens.js";
import {
  deleteDevicesUnusedSince,
  deleteUserDevices,
  deleteUserDevicesBeyond,
  findKnownDeviceByTokenHash,
  insertKnownDevice,
  touchKnownDevice,
} from "./known-devices.queries.js";

/** A browser stays known for a year after its last sign-in. */
export const DEVICE_TTL_MS = 365 * 24 * 60 * 60_000;
/** Scripts that sign in without keeping cookies would otherwise add a row at every sign-in. */
const DEVICES_PER_ACCOUNT = 20;

export interface IssuedDevice {
  token: string;
  expiresAt: Date;
}

/**
 * The known device a device cookie names, if it belongs to this account and is still fresh.
 * The lookup runs whether or not the account exists (userId undefined), so that a cookie does
 * not make an unknown email answer faster than a known one. Looking the token up by its hash
 * keeps the comparison constant-time with respect to the secret.
 */
export async function recognizeDevice(
  db: Kysely<DB>,
  token: string | undefined,
  userId: string | undefined,
  now: Date,
): Promise<KnownDeviceRow | undefined> {
  if (token === undefined || !isWellFormedToken(token)) return undefined;
  const row = await findKnownDeviceByTokenHash(db, hashToken(token));
  if (!row || row.user_id !== userId) return undefined;
  if (row.last_used_at.getTime() + DEVICE_TTL_MS <= now.getTime()) return undefined;
  return row;
}

/**
 * Remembers the browser that just authenticated: a known device of this account keeps its
 * token (its last use moves on); any other browser gets a new one. A cookie the browser
 * brought is never adopted for another account: it may have been planted.
 */
export async function rememberDevice(
  db: Transaction<DB>,
  userId: string,
  now: Date,
  known?: { row: KnownDeviceRow; token: string },
): Promise<IssuedDevice> {
  const expiresAt = new Date(now.getTime() + DEVICE_TTL_MS);
  if (known && known.row.user_id === userId) {
    await touchKnownDevice(db, known.row.id, now);
    return { token: known.token, expiresAt };
  }
  const token = newToken();
  await insertKnownDevice(db, {
    id: newId("dev", now.getTime()),
    user_id: userId,
    token_hash: hashToken(token),
    created_at: now,
    last_used_at: now,
  });
  await deleteUserDevicesBeyond(db, userId, DEVICES_PER_ACCOUNT);
  return { token, expiresAt };
}

/** Forgets every browser of the account (a password reset: whoever held the account loses it). */
export async function forgetDevices(db: Transaction<DB>, userId: string): Promise<void> {
  await deleteUserDevices(db, userId);
}

/** Drops devices unused for longer than DEVICE_TTL_MS (they are no longer recognized anyway). */
export async function deleteStaleDevices(db: Kysely<DB>, now: Date): Promise<void> {
  await deleteDevicesUnusedSince(db, new Date(now.getTime() - DEVICE_TTL_MS));
}
