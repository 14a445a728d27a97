import type { PersonCaller } from "../access/caller.js";
import { keyBindingOf, permitInOrganization } from "../access/policy.js";
import { type Actor, actorOf, recordAuditEvent, userActor } from "../audit/audit-events.js";
import type { UserRow } from "../db/schema.js";
import { type Tx, transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { checkEmail } from "../lib/email-address.js";
import { fail } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import { readPage } from "../lib/page.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { hashToken } from "../lib/tokens.js";
import { findMemberByUser } from "../memberships/memberships.queries.js";
import { insertMember } from "../organizations/organizations.queries.js";
import { lookUpGuessedToken } from "../rate-limit/rate-limit.js";
import { domainAllowed } from "./invitation.js";
import {
  claimInvitation,
  findInvitationByTokenHash,
  findPendingInvitationForEmail,
  type InvitationWithOrganization,
  listInvitationsForEmail,
} from "./invitations.queries.js";

const DEAD = "This invitation is not valid: it may have been used, revoked or replaced.";
const EXPIRED = "This invitation has expired; ask for a new one.";

/**
 * A live invitation for a token: unknown, used, revoked, replaced and declined tokens all
 * answer 404 alike; only expiry is told apart (410).
 */
export async function findLiveInvitation(
  deps: Deps,
  token: string,
  meta: RequestMeta,
): Promise<InvitationWithOrganization> {
  // An expired invitation is found (and told apart): only a dead token counts as a guess.
  const invitation = await lookUpGuessedToken(deps.db, meta, token, async () => {
    const found = await findInvitationByTokenHash(deps.db, hashToken(token));
    return found?.status === "pending" || found?.status === "expired" ? found : undefined;
  });
  if (!invitation) throw fail("not_found", DEAD);
  if (invitation.status === "expired" || invitation.expires_at <= meta.now)
    throw fail("invitation_expired", EXPIRED);
  return invitation;
}

/** What the link's holder may see: organization name, role, inviter's name, invited email, expiry. */
export async function previewInvitation(deps: Deps, token: string, meta: RequestMeta) {
  const invitation = await findLiveInvitation(deps, token, meta);
  return {
    organization: { name: invitation.organization_name },
    role: invitation.role,
    invitedBy: { name: invitation.invited_by_name },
    email: invitation.email,
    expiresAt: invitation.expires_at.toISOString(),
    status: "pending" as const,
  };
}

/** The invitee must be the invited address, verified, in a domain the organization still allows. */
export function checkInvitee(
  invitation: InvitationWithOrganization,
  invitee: { emailCanonical: string; verified: boolean },
): void {
  if (invitation.email_canonical !== invitee.emailCanonical) {
    throw fail("invitation_email_mismatch", "This invitation was sent to another email address.");
  }
  if (!invitee.verified)
    throw fail("email_not_verified", "Verify your email address before accepting an invitation.");
  // Checked again at acceptance: the organization may have narrowed its domains since.
  if (!domainAllowed(invitation.allowed_email_domains, invitation.email_canonical)) {
    throw fail(
      "domain_not_allowed",
      "This organization no longer accepts members from this email domain.",
    );
  }
}

function canonicalOf(email: string): string {
  const checked = checkEmail(email);
  return checked.ok ? checked.canonical : email.toLowerCase();
}

/**
 * Accepts inside the caller's transaction: the guarded claim and the membership insert
 * commit together, so an invitation yields at most one membership.
 */
export async function joinThroughInvitation(
  tx: Tx,
  invitation: InvitationWithOrganization,
  user: Pick<UserRow, "id" | "email" | "name">,
  meta: RequestMeta,
  actor: Actor = userActor(user),
) {
  const claimed = await claimInvitation(tx.db, invitation.id, "accepted", meta.now);
  if (!claimed) throw fail("not_found", DEAD);
  const joinedAt = meta.now;
  const added = await insertMember(tx.db, {
    id: newId("mem", meta.now.getTime()),
    organization_id: invitation.organization_id,
    user_id: user.id,
    role: invitation.role,
    created_at: joinedAt,
  });
  const membership = await findMemberByUser(tx.db, invitation.organization_id, user.id);
  if (!membership) throw new Error("the membership just made or found is missing");
  const common = { actor, organizationId: invitation.organization_id, subjectUserId: user.id };
  await recordAuditEvent(tx, meta, {
    ...common,
    action: "invitation.accepted",
    target: { type: "invitation", id: invitation.id },
    metadata: { email: invitation.email, role: invitation.role },
  });
  if (added) {
    await recordAuditEvent(tx, meta, {
      ...common,
      action: "member.added",
      target: { type: "user", id: user.id },
      // Who joined, as they were then: the log reads in words after they have gone.
      metadata: { email: user.email, name: user.name, role: invitation.role, via: "invitation" },
    });
  }
  return {
    organization: {
      id: invitation.organization_id,
      slug: invitation.organization_slug,
      name: invitation.organization_name,
    },
    role: membership.role,
    joinedAt: membership.created_at.toISOString(),
  };
}

async function respond(
  deps: Deps,
  auth: PersonCaller,
  invitation: InvitationWithOrganization,
  answer: "accept" | "decline",
  meta: RequestMeta,
) {
  // A key bound to one organization acts only inside it: it joins (or declines) nothing else.
  permitInOrganization(auth, invitation.organization_id);
  checkInvitee(invitation, {
    emailCanonical: canonicalOf(auth.user.email),
    verified: auth.user.emailVerifiedAt !== null,
  });
  return transaction(deps.db, async (tx) => {
    if (answer === "accept") {
      return joinThroughInvitation(tx, invitation, auth.user, meta, actorOf(auth));
    }
    const claimed = await claimInvitation(tx.db, invitation.id, "declined", meta.now);
    if (!claimed) throw fail("not_found", DEAD);
    await recordAuditEvent(tx, meta, {
      action: "invitation.declined",
      actor: actorOf(auth),
      organizationId: invitation.organization_id,
      subjectUserId: auth.user.id,
      target: { type: "invitation", id: invitation.id },
      metadata: { email: invitation.email, role: invitation.role },
    });
    return undefined;
  });
}

export async function respondByToken(
  deps: Deps,
  auth: PersonCaller,
  token: string,
  answer: "accept" | "decline",
  meta: RequestMeta,
) {
  return respond(deps, auth, await findLiveInvitation(deps, token, meta), answer, meta);
}

/** From the account's own list: only invitations addressed to its email are found at all. */
export async function respondById(
  deps: Deps,
  auth: PersonCaller,
  id: string,
  answer: "accept" | "decline",
  meta: RequestMeta,
) {
  const invitation = await findPendingInvitationForEmail(deps.db, id, canonicalOf(auth.user.email));
  if (!invitation || !auth.user.emailVerifiedAt) throw fail("not_found", "No such invitation.");
  if (invitation.expires_at <= meta.now) throw fail("invitation_expired", EXPIRED);
  return respond(deps, auth, invitation, answer, meta);
}

/** Pending, unexpired invitations to the account's address, once that address is verified. */
export async function listMyInvitations(
  deps: Deps,
  auth: PersonCaller,
  page: { limit: number; cursor: string | undefined },
  now: Date,
) {
  if (!auth.user.emailVerifiedAt) return { items: [], nextCursor: null };
  return readPage(
    page.limit,
    (limit) =>
      listInvitationsForEmail(deps.db, canonicalOf(auth.user.email), {
        limit,
        afterId: page.cursor,
        now,
        // A key bound to one organization sees only invitations to that one.
        onlyOrganizationId: keyBindingOf(auth) ?? undefined,
      }),
    (row) => ({
      id: row.id,
      organization: { id: row.organization_id, name: row.organization_name },
      role: row.role,
      invitedBy: { name: row.invited_by_name },
      expiresAt: row.expires_at.toISOString(),
    }),
  );
}
