import type { Caller } from "../access/caller.js";
import type { Tx } from "../db/transaction.js";
import { newId } from "../lib/ids.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { auditChainKeyOf, chainKeyFor, eventHash, GENESIS_HASH } from "./audit-chain.js";
import {
  insertAuditChainIfNone,
  insertAuditEvent,
  lockAuditChainHead,
  updateAuditChainHead,
} from "./audit-chain.queries.js";

export const AUDIT_ACTIONS = [
  "user.signed_up",
  "user.signed_in",
  "user.sign_in_failed",
  "user.signed_out",
  "user.password_changed",
  "user.password_reset",
  "user.email_change_requested",
  "user.email_changed",
  "user.email_verified",
  "user.deleted",
  "session.revoked",
  "organization.created",
  "organization.updated",
  "organization.deleted",
  "member.added",
  "member.role_changed",
  "member.removed",
  "member.left",
  "invitation.created",
  "invitation.resent",
  "invitation.revoked",
  "invitation.accepted",
  "invitation.declined",
  "api_key.created",
  "api_key.revoked",
  "identity.linked",
  "identity.unlinked",
  "user.disabled",
  "user.enabled",
  // Beyond the contract's list: a profile change (name), and a pending email change that a
  // password reset or change, signing out other sessions or disabling the account cancelled.
  "user.updated",
  "user.email_change_cancelled",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type Actor =
  | { type: "user"; id: string; email: string }
  | { type: "api_key"; id: string; email: string }
  | { type: "system"; id?: string };

export interface AuditEventInput {
  action: AuditAction;
  actor: Actor;
  /** The account the event concerns: it appears in that account's own security log. */
  subjectUserId?: string | null;
  organizationId?: string | null;
  target?: { type: string; id: string };
  /** Never a secret: no password, token or key. */
  metadata?: Record<string, unknown>;
}

/**
 * Records an audit event inside the caller's transaction, so that a change and its event
 * commit or roll back together. The only writer of `audit_events`. The event is appended to
 * its chain: the chain's head row is locked, so concurrent events of one organization queue
 * and each links to the one before (tamper evidence, see audit-chain.ts).
 */
export async function recordAuditEvent(
  tx: Tx,
  meta: RequestMeta | null,
  event: AuditEventInput,
  now: Date = meta?.now ?? new Date(),
): Promise<void> {
  const base = {
    id: newId("evt", now.getTime()),
    action: event.action,
    actor_type: event.actor.type,
    actor_id: event.actor.id ?? null,
    actor_email: "email" in event.actor ? event.actor.email : null,
    subject_user_id: event.subjectUserId ?? null,
    organization_id: event.organizationId ?? null,
    target_type: event.target?.type ?? null,
    target_id: event.target?.id ?? null,
    ip_address: meta?.ipAddress ?? null,
    user_agent: meta?.userAgent ?? null,
    request_id: meta?.requestId ?? null,
    // Through JSON once, as jsonb will hold it: the hash is computed on what is stored.
    metadata: JSON.parse(JSON.stringify(event.metadata ?? {})) as Record<string, unknown>,
    created_at: now,
  };
  const chainKey = chainKeyFor(base);
  await insertAuditChainIfNone(tx.db, {
    chain_key: chainKey,
    last_seq: 0,
    last_hash: GENESIS_HASH,
  });
  const head = await lockAuditChainHead(tx.db, chainKey);
  if (!head) throw new Error(`audit chain ${chainKey} has no head row`);
  const linked = {
    ...base,
    chain_key: chainKey,
    seq: Number(head.last_seq) + 1,
    prev_hash: head.last_hash,
  };
  const key = auditChainKeyOf(tx.root);
  const hash_alg = key === undefined ? ("sha256" as const) : ("hmac-sha256" as const);
  const hash = eventHash(linked, key);
  await updateAuditChainHead(tx.db, chainKey, { last_seq: linked.seq, last_hash: hash });
  await insertAuditEvent(tx.db, {
    ...linked,
    metadata: JSON.stringify(linked.metadata),
    hash,
    hash_alg,
  });
}

/** The operator, through the `atrium` command or the control socket. */
const OPERATOR_ACTOR: Actor = { type: "system", id: "cli" };

/** Who acted: the signed-in user, the API key acting for them, or the operator. */
export function actorOf(caller: Caller): Actor {
  if (caller.kind === "operator") return OPERATOR_ACTOR;
  return caller.kind === "api_key"
    ? { type: "api_key", id: caller.apiKey.id, email: caller.user.email }
    : { type: "user", id: caller.user.id, email: caller.user.email };
}

/** Shorthand for the common case: a signed-in user acting on their own account. */
export function userActor(user: { id: string; email: string }): Actor {
  return { type: "user", id: user.id, email: user.email };
}
