import type { PersonCaller } from "../access/caller.js";
import { authorize } from "../access/policy.js";
import { findUserById } from "../accounts/accounts.queries.js";
import { actorOf, recordAuditEvent } from "../audit/audit-events.js";
import type { MemberRow, Role } from "../db/schema.js";
import { type Tx, transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { revokeInvitationsBeyondAuthority } from "../invitations/inviter-authority.js";
import { fail } from "../lib/errors.js";
import { readPage } from "../lib/page.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { openOrganization } from "../organizations/organization-access.js";
import { type Member, toMember } from "./member.js";
import {
  countOwners,
  deleteMember,
  findMember,
  listMembers,
  updateMemberRole,
} from "./memberships.queries.js";

const LAST_OWNER =
  "An organization must keep at least one owner; make someone else an owner first.";

export async function listOrganizationMembers(
  deps: Deps,
  auth: PersonCaller,
  ref: string,
  filter: {
    q?: string | undefined;
    role?: Role | undefined;
    cursor?: string | undefined;
    limit: number;
  },
  now: Date,
): Promise<{ items: Member[]; nextCursor: string | null }> {
  const scope = await openOrganization(deps.db, ref, auth);
  authorize(deps, auth, scope, { type: "organization:read" }, now);
  return readPage(
    filter.limit,
    (limit) =>
      listMembers(deps.db, scope.organization.id, { ...filter, afterId: filter.cursor, limit }),
    toMember,
  );
}

/**
 * Opens the organization for a change to one of its members: the organization row (and the
 * caller's membership) locked, so membership changes in one organization run one at a time,
 * and the target member found in it (404 otherwise).
 */
async function lockMemberChange(tx: Tx, ref: string, auth: PersonCaller, memberId: string) {
  const scope = await openOrganization(tx.db, ref, auth, { lock: true });
  const target = await findMember(tx.db, scope.organization.id, memberId);
  if (!target) throw fail("not_found", "No such member.");
  return { scope, target };
}

/**
 * An organization always keeps at least one owner: taking the role from its only owner is
 * refused. Called under the lock of lockMemberChange, so concurrent changes cannot both pass.
 */
async function keepAnOwner(tx: Tx, target: MemberRow): Promise<void> {
  if (target.role === "owner" && (await countOwners(tx.db, target.organization_id)) <= 1) {
    throw fail("last_owner", LAST_OWNER);
  }
}

/**
 * Changes a member's role. The organization row is locked first, so two owners demoting each
 * other at the same moment run one after the other and the second finds the last owner.
 */
export async function changeMemberRole(
  deps: Deps,
  auth: PersonCaller,
  ref: string,
  memberId: string,
  role: Role,
  meta: RequestMeta,
): Promise<Member> {
  return transaction(deps.db, async (tx) => {
    const { scope, target } = await lockMemberChange(tx, ref, auth, memberId);
    authorize(
      deps,
      auth,
      scope,
      { type: "member:change_role", target: { memberId: target.id, role: target.role }, role },
      meta.now,
    );
    const user = await findUserById(tx.db, target.user_id);
    if (!user) throw fail("not_found", "No such member.");
    if (target.role === role) return toMember({ ...target, email: user.email, name: user.name });
    await keepAnOwner(tx, target);
    const updated = await updateMemberRole(tx.db, scope.organization.id, target.id, role);
    if (!updated) throw fail("not_found", "No such member.");
    await recordAuditEvent(tx, meta, {
      action: "member.role_changed",
      actor: actorOf(auth),
      organizationId: scope.organization.id,
      subjectUserId: target.user_id,
      target: { type: "member", id: target.id },
      // Who it concerns, as they were then: the log reads in words after they have gone.
      metadata: { email: user.email, name: user.name, from: target.role, to: role },
    });
    await revokeInvitationsBeyondAuthority(tx, {
      inviterUserId: target.user_id,
      organizationId: scope.organization.id,
      role,
      reason: "inviter_demoted",
      actor: actorOf(auth),
      meta,
      now: meta.now,
    });
    return toMember({ ...updated, email: user.email, name: user.name });
  });
}

/**
 * Removes a member, or (for one's own membership) leaves; never the last owner. The
 * invitations they sent and that are still pending go with them.
 */
export async function removeMember(
  deps: Deps,
  auth: PersonCaller,
  ref: string,
  memberId: string,
  meta: RequestMeta,
): Promise<void> {
  await transaction(deps.db, async (tx) => {
    const { scope, target } = await lockMemberChange(tx, ref, auth, memberId);
    authorize(
      deps,
      auth,
      scope,
      { type: "member:remove", target: { memberId: target.id, role: target.role } },
      meta.now,
    );
    await keepAnOwner(tx, target);
    const user = await findUserById(tx.db, target.user_id);
    await deleteMember(tx.db, scope.organization.id, target.id);
    const leaving = target.id === scope.member.id;
    await recordAuditEvent(tx, meta, {
      action: leaving ? "member.left" : "member.removed",
      actor: actorOf(auth),
      organizationId: scope.organization.id,
      subjectUserId: target.user_id,
      target: { type: "member", id: target.id },
      // Who it concerns, as they were then: the log reads in words after they have gone.
      metadata: { ...(user ? { email: user.email, name: user.name } : {}), role: target.role },
    });
    await revokeInvitationsBeyondAuthority(tx, {
      inviterUserId: target.user_id,
      organizationId: scope.organization.id,
      role: null,
      reason: leaving ? "inviter_left" : "inviter_removed",
      actor: actorOf(auth),
      meta,
      now: meta.now,
    });
  });
}
