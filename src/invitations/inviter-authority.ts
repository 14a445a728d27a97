import { type Actor, recordAuditEvent } from "../audit/audit-events.js";
import type { Role } from "../db/schema.js";
import type { Tx } from "../db/transaction.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { mayGrant } from "../organizations/roles.js";
import { lockPendingInvitationsFrom, revokePendingInvitation } from "./invitations.queries.js";

export type AuthorityLost =
  | "inviter_removed"
  | "inviter_left"
  | "inviter_demoted"
  | "inviter_deleted";

/**
 * An invitation carries its inviter's authority only while the inviter has it: when a member
 * is removed, leaves, is demoted or deletes their account, the pending invitations they sent
 * for a role they can no longer grant are revoked, each audited. Without this a removed admin
 * rejoins as admin through an invitation sent earlier to a second address of their own.
 * `role` is the inviter's role now (null once they are no longer a member); without an
 * organization, their invitations in every organization are concerned (account deletion).
 * Runs in the transaction that changes the membership: an invitation created meanwhile holds
 * a share lock on the inviter's membership (inviteMembers), so it is either seen here or
 * created only after the change, by a role that is checked again.
 */
export async function revokeInvitationsBeyondAuthority(
  tx: Tx,
  input: {
    inviterUserId: string;
    organizationId?: string;
    role: Role | null;
    reason: AuthorityLost;
    actor: Actor;
    meta: RequestMeta | null;
    now: Date;
  },
): Promise<number> {
  // Expired ones too: an expired pending invitation can still be resent.
  const pending = await lockPendingInvitationsFrom(
    tx.db,
    input.inviterUserId,
    input.organizationId,
  );
  let revoked = 0;
  for (const invitation of pending) {
    if (mayGrant(input.role, invitation.role)) continue;
    if (!(await revokePendingInvitation(tx.db, invitation.id, input.now))) continue;
    revoked++;
    await recordAuditEvent(
      tx,
      input.meta,
      {
        action: "invitation.revoked",
        actor: input.actor,
        organizationId: invitation.organization_id,
        target: { type: "invitation", id: invitation.id },
        metadata: { email: invitation.email, role: invitation.role, reason: input.reason },
      },
      input.now,
    );
  }
  return revoked;
}
