import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { auditChainKeyOf, eventHash, GENESIS_HASH, type StoredAuditEvent } from "./audit-chain.js";
import {
  findAuditEventsAt,
  findFirstKeyedEventTime,
  findLastAuditPrune,
  listAuditChains,
  listChainEvents,
  listHeadlessChainKeys,
  listPrunedThrough,
} from "./audit-chain.queries.js";

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
 * Why an event's own hash is wrong, or undefined when it is right. Keyed events are checked
 * with the key; a plain event is refused where only a writer without the key would put one:
 * after a keyed event of its chain, or (with the key set) after keyed events began at all.
 */
function hashProblem(
  event: StoredAuditEvent,
  key: string | undefined,
  chainIsKeyed: boolean,
  keyedSince: Date | undefined,
): string | undefined {
  if (event.hash_alg === "hmac-sha256") {
    if (key === undefined)
      return "it is keyed (HMAC-SHA256) and ATRIUM_AUDIT_CHAIN_KEY is not set to check it";
    return eventHash(event, key) === event.hash
      ? undefined
      : "its content does not match its hash (keyed)";
  }
  if (chainIsKeyed)
    return "it is not keyed though an earlier event of its chain is: written without the key";
  if (keyedSince && event.created_at >= keyedSince)
    return "it is not keyed though written after keyed events began: written without the key";
  return eventHash(event) === event.hash ? undefined : "its content does not match its hash";
}

/**
 * Walks each chain in order and recomputes every hash: an edited event, a removed or
 * inserted one, or a reordered pair breaks the chain at the first affected link. Retention's
 * removals are not breaks: a chain then starts after its last recorded prune. With the chain
 * key (the database handle's, unless given), keyed events are checked too, and plain events
 * where keyed ones belong are breaks: someone recomputed the chain without the key.
 */
export async function verifyAuditChains(
  db: Kysely<DB>,
  options: { chainKey?: string; batchSize?: number; key?: string } = {},
): Promise<VerifyResult> {
  const batchSize = options.batchSize ?? 5000;
  const key = options.key ?? auditChainKeyOf(db);
  // The first keyed event anywhere: from then on, every event is written with the key.
  let keyedSince: Date | undefined;
  if (key !== undefined) keyedSince = await findFirstKeyedEventTime(db);
  const chains = await listAuditChains(db, options.chainKey);
  const result: VerifyResult = { chains: chains.length, events: 0, broken: [] };

  // Events whose chain has no head row: deleting the head must not hide a chain from checking.
  for (const chainKey of await listHeadlessChainKeys(db, options.chainKey)) {
    result.chains++;
    result.broken.push({
      chainKey,
      seq: 0,
      eventId: null,
      reason: "the chain's head record is missing",
    });
  }

  for (const head of chains) {
    const prune = await findLastAuditPrune(db, head.chain_key);
    let expectedSeq = Number(prune?.through_seq ?? 0) + 1;
    let previous = prune?.through_hash ?? GENESIS_HASH;
    let broken: BrokenLink | undefined;
    let chainIsKeyed = false;

    while (!broken) {
      const batch = await listChainEvents(db, head.chain_key, {
        fromSeq: expectedSeq,
        // Events appended while we check belong to the next check, not to this one's head.
        throughSeq: Number(head.last_seq),
        limit: batchSize,
      });
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
        } else {
          const problem = hashProblem(event, key, chainIsKeyed, keyedSince);
          if (problem)
            broken = { chainKey: head.chain_key, seq, eventId: event.id, reason: problem };
          chainIsKeyed ||= event.hash_alg === "hmac-sha256";
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

/** A chain's head as `atrium audit heads` printed it, kept outside the database. */
export interface Anchor {
  chainKey: string;
  seq: number;
  hash: string;
}

/**
 * Checks heads saved earlier against the events now in the database. A chain that verifies
 * and still passes through its anchored hash is unchanged up to there; one rewritten since
 * (by a writer who recomputed it, even one holding the key) does not. Events that retention
 * removed since cannot be checked and are not breaks.
 */
export async function checkAnchors(db: Kysely<DB>, anchors: Anchor[]): Promise<BrokenLink[]> {
  const broken: BrokenLink[] = [];
  for (let i = 0; i < anchors.length; i += 500) {
    const chunk = anchors.slice(i, i + 500);
    const rows = await findAuditEventsAt(db, chunk);
    const prunes = await listPrunedThrough(db, [...new Set(chunk.map((a) => a.chainKey))]);
    for (const anchor of chunk) {
      const row = rows.find((r) => r.chain_key === anchor.chainKey && Number(r.seq) === anchor.seq);
      if (row) {
        if (row.hash !== anchor.hash) {
          broken.push({
            chainKey: anchor.chainKey,
            seq: anchor.seq,
            eventId: row.id,
            reason:
              "its hash is not the one recorded outside the database: the chain was rewritten",
          });
        }
        continue;
      }
      const pruned = prunes.find((p) => p.chain_key === anchor.chainKey);
      if (pruned && Number(pruned.through_seq) >= anchor.seq) continue;
      broken.push({
        chainKey: anchor.chainKey,
        seq: anchor.seq,
        eventId: null,
        reason: "the event recorded outside the database as this chain's head is missing",
      });
    }
  }
  return broken;
}
