import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { eventHash, GENESIS_HASH, type StoredAuditEvent } from "./audit-chain.js";

export interface BrokenLink {
  chainKey: string;
  seq: number;
  eventId: string | null;
  reason: string;
}

export interface VerifyResult {
  chains: number;
  events: number;
  broken: BrokenLink[];
}

/**
 * Walks each chain in order and recomputes every hash: an edited event, a removed or
 * inserted one, or a reordered pair breaks the chain at the first affected link. Retention's
 * removals are not breaks: a chain then starts after its last recorded prune.
 */
export async function verifyAuditChains(
  db: Kysely<DB>,
  options: { chainKey?: string; batchSize?: number } = {},
): Promise<VerifyResult> {
  const batchSize = options.batchSize ?? 5000;
  let heads = db.selectFrom("audit_chains").selectAll().orderBy("chain_key");
  if (options.chainKey) heads = heads.where("chain_key", "=", options.chainKey);
  const chains = await heads.execute();
  const result: VerifyResult = { chains: chains.length, events: 0, broken: [] };

  // Events whose chain has no head row: deleting the head must not hide a chain from checking.
  let headless = db
    .selectFrom("audit_events as e")
    .select("e.chain_key")
    .distinct()
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("audit_chains as c")
            .select("c.chain_key")
            .whereRef("c.chain_key", "=", "e.chain_key"),
        ),
      ),
    );
  if (options.chainKey) headless = headless.where("e.chain_key", "=", options.chainKey);
  for (const { chain_key: chainKey } of await headless.execute()) {
    result.chains++;
    result.broken.push({
      chainKey,
      seq: 0,
      eventId: null,
      reason: "the chain's head record is missing",
    });
  }

  for (const head of chains) {
    const prune = await db
      .selectFrom("audit_prunes")
      .select(["through_seq", "through_hash"])
      .where("chain_key", "=", head.chain_key)
      .orderBy("through_seq", "desc")
      .limit(1)
      .executeTakeFirst();
    let expectedSeq = Number(prune?.through_seq ?? 0) + 1;
    let previous = prune?.through_hash ?? GENESIS_HASH;
    let broken: BrokenLink | undefined;

    while (!broken) {
      const batch = (await db
        .selectFrom("audit_events")
        .selectAll()
        .where("chain_key", "=", head.chain_key)
        .where("seq", ">=", expectedSeq)
        // Events appended while we check belong to the next check, not to this one's head.
        .where("seq", "<=", Number(head.last_seq))
        .orderBy("seq")
        .limit(batchSize)
        .execute()) as StoredAuditEvent[];
      for (const event of batch) {
        result.events++;
        const seq = Number(event.seq);
        if (seq !== expectedSeq) {
          broken = {
            chainKey: head.chain_key,
            seq: expectedSeq,
            eventId: null,
            reason: `event ${expectedSeq} is missing`,
          };
        } else if (event.hash === "legacy") {
          // Written before chaining existed: nothing to check, the chain starts after it.
        } else if (event.prev_hash !== previous) {
          broken = {
            chainKey: head.chain_key,
            seq,
            eventId: event.id,
            reason: "does not link to the event before it",
          };
        } else if (eventHash(event) !== event.hash) {
          broken = {
            chainKey: head.chain_key,
            seq,
            eventId: event.id,
            reason: "its content does not match its hash",
          };
        }
        if (broken) break;
        previous = event.hash;
        expectedSeq++;
      }
      if (batch.length < batchSize) break;
    }
    const lastSeq = Number(head.last_seq);
    if (!broken && expectedSeq - 1 !== lastSeq) {
      broken = {
        chainKey: head.chain_key,
        seq: expectedSeq,
        eventId: null,
        reason: `events ${expectedSeq} to ${lastSeq} are missing`,
      };
    } else if (!broken && lastSeq > 0 && previous !== head.last_hash) {
      broken = {
        chainKey: head.chain_key,
        seq: lastSeq,
        eventId: null,
        reason: "the chain's head does not match its last event",
      };
    }
    if (broken) result.broken.push(broken);
  }
  return result;
}
