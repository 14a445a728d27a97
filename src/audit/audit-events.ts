import type { Tx } from "../db/transaction.js";
import { newId } from "../lib/ids.js";
import type { RequestMeta } from "../lib/request-meta.js";

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
  // Beyond the contract's list: a profile change (name).
  "user.updated",
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
 * commit or roll back together. The only writer of `audit_events`.
 */
export async function recordAuditEvent(
  tx: Tx,
  meta: RequestMeta | null,
  event: AuditEventInput,
  now: Date = meta?.now ?? new Date(),
): Promise<void> {
  await tx.db
    .insertInto("audit_events")
    .values({
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
      metadata: JSON.stringify(event.metadata ?? {}),
      created_at: now,
    })
    .execute();
}

/** Shorthand for the common case: a signed-in user acting on their own account. */
export function userActor(user: { id: string; email: string }): Actor {
  return { type: "user", id: user.id, email: user.email };
}
