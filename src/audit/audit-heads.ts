import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { listAuditChainHeadRows } from "./audit-chain.queries.js";

export interface ChainHead {
  chainKey: string;
  /** An organization's chain, an account's (events outside any organization), or the system's. */
  kind: "organization" | "account" | "system";
  organization: { id: string; slug: string } | null;
  userId: string | null;
  seq: number;
  eventId: string | null;
  createdAt: string | null;
  hash: string;
  algorithm: "sha256" | "hmac-sha256" | null;
}

/**
 * The last event of every chain: what an operator copies somewhere the database's writers
 * cannot reach (a ticket, a log service, a signed commit). Each hash covers its whole chain
 * up to it, so a chain later rewritten, even with the key, no longer ends in (or passes
 * through) the copied hash.
 */
export async function listAuditChainHeads(db: Kysely<DB>): Promise<ChainHead[]> {
  const rows = await listAuditChainHeadRows(db);
  return rows.map((row) => {
    const userId = row.chain_key.startsWith("user:") ? row.chain_key.slice(5) : null;
    return {
      chainKey: row.chain_key,
      kind: userId ? "account" : row.chain_key === "system" ? "system" : "organization",
      organization: row.slug ? { id: row.chain_key, slug: row.slug } : null,
      userId,
      seq: Number(row.last_seq),
      eventId: row.event_id,
      createdAt: row.created_at ? new Date(row.created_at).toISOString() : null,
      hash: row.last_hash,
      algorithm: row.hash_alg,
    };
  });
}
