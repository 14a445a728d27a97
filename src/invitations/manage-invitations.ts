import type { PersonCaller } from "../access/caller.js";
import { authorize } from "../access/policy.js";
import { actorOf, recordAuditEvent } from "../audit/audit-events.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import { readPage } from "../lib/page.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { hashToken, newToken } from "../lib/tokens.js";
import { openOrganization } from "../organizations/organization-access.js";
import { toCreatedInvitation, toPendingInvitation } from "./invitation.js";
import { limitInvitationResend, takeInvitationBudget } from "./invitation-limits.js";
import {
  findInvitationInOrganization,
  listPendingInvitations,
  renewInvitationToken,
  revokePendingInvitation,
} from "./invitations.queries.js";
import { requireVerifiedInviter, sendInvitationEmail } from "./invite-members.js";

const NO_SUCH = "No such pending invitation.";

export async function listOrganizationInvitations(
  deps: Deps,
  auth: PersonCaller,
  ref: string,
  page: { limit: number; cursor: string | undefined },
  now: Date,
) {
  const scope = await openOrganization(deps.db, ref, auth);
  authorize(deps, auth, scope, { type: "invitations:manage" }, now);
  return readPage(
    page.limit,
    (limit) =>
      listPendingInvitations(deps.db, scope.organization.id, { limit, afterId: page.cursor, now }),
    toPendingInvitation,
  );
}

export async function revokeInvitation(
  deps: Deps,
  auth: PersonCaller,
  ref: string,
  id: string,
  meta: RequestMeta,
): Promise<void> {
  await transaction(deps.db, async (tx) => {
    const scope = await openOrganization(tx.db, ref, auth);
    authorize(deps, auth, scope, { type: "invitations:manage" }, meta.now);
    const invitation = await findInvitationInOrganization(tx.db, scope.organization.id, id);
    if (invitation?.status !== "pending") throw fail("not_found", NO_SUCH);
    // An admin manages only invitations for roles it could grant itself.
    authorize(deps, auth, scope, { type: "invitation:create", role: invitation.role }, meta.now);
    const revoked = await revokePendingInvitation(tx.db, invitation.id, meta.now);
    if (!revoked) throw fail("not_found", NO_SUCH);
    await recordAuditEvent(tx, meta, {
      action: "invitation.revoked",
      actor: actorOf(auth),
      organizationId: scope.organization.id,
      target: { type: "invitation", id: invitation.id },
      metadata: { email: invitation.email, role: invitation.role },
    });
  });
}

/**
 * Sends an invitation again with a new token and a new expiry: the old link stops working.
 * An invitation that expired can be resent too; an answered or revoked one cannot. A resend
 * counts as an invitation against the limits, and by email it waits its turn.
 */
export async function resendInvitation(
  deps: Deps,
  auth: PersonCaller,
  ref: string,
  id: string,
  meta: RequestMeta,
) {
  return transaction(deps.db, async (tx) => {
    const scope = await openOrganization(tx.db, ref, auth);
    authorize(deps, auth, scope, { type: "invitations:manage" }, meta.now);
    const invitation = await findInvitationInOrganization(tx.db, scope.organization.id, id);
    if (invitation?.status !== "pending") throw fail("not_found", NO_SUCH);
    authorize(deps, auth, scope, { type: "invitation:create", role: invitation.role }, meta.now);
    const byEmail = invitation.delivery === "email";
    if (byEmail) requireVerifiedInviter(auth);
    await takeInvitationBudget(
      tx,
      { inviterUserId: auth.user.id, organizationId: scope.organization.id },
      1,
      meta.now,
    );
    if (byEmail) await limitInvitationResend(tx, invitation, meta.now);
    const token = newToken();
    const updated = await renewInvitationToken(tx.db, invitation.id, {
      token_hash: hashToken(token),
      expires_at: new Date(meta.now.getTime() + deps.config.invitationTtlMs),
    });
    if (!updated) throw fail("not_found", NO_SUCH);
    if (updated.delivery === "email")
      await sendInvitationEmail(deps, tx, scope.organization, updated, token, meta.now);
    await recordAuditEvent(tx, meta, {
      action: "invitation.resent",
      actor: actorOf(auth),
      organizationId: scope.organization.id,
      target: { type: "invitation", id: updated.id },
      metadata: { email: updated.email, role: updated.role, delivery: updated.delivery },
    });
    return { invitation: toCreatedInvitation(deps.config, updated, token) };
  });
}
