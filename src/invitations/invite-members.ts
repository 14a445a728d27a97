import type { PersonCaller } from "../access/caller.js";
import { authorize } from "../access/policy.js";
import { type Actor, actorOf, recordAuditEvent } from "../audit/audit-events.js";
import type { InvitationRow, OrganizationRow, Role } from "../db/schema.js";
import { type Tx, transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { checkEmail } from "../lib/email-address.js";
import { fail } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { hashToken, newToken } from "../lib/tokens.js";
import { enqueueEmail } from "../mail/outbox.js";
import { invitationEmail } from "../mail/templates.js";
import { openOrganization } from "../organizations/organization-access.js";
import { domainAllowed, invitationUrl, toCreatedInvitation } from "./invitation.js";
import { withinInvitationLimits } from "./invitation-limits.js";
import {
  expireStaleInvitations,
  findTakenEmails,
  insertInvitationIfNone,
} from "./invitations.queries.js";

export const MAX_INVITATIONS_PER_REQUEST = 100;

export type RejectionCode =
  | "invalid_email"
  | "duplicate"
  | "domain_not_allowed"
  | "already_member"
  | "already_invited"
  /** The inviter's or organization's budget ran out part way, or the address had its share of invitation emails today. */
  | "rate_limited";

export interface InviteInput {
  emails: string[];
  role: Role;
  delivery: "email" | "link";
}

/**
 * Invites each address on its own: what could be invited is, and every other address is
 * listed with the reason. One pending invitation per address is kept by the partial unique
 * index, so a concurrent duplicate is refused rather than created twice.
 */
export async function inviteMembers(
  deps: Deps,
  auth: PersonCaller,
  ref: string,
  input: InviteInput,
  meta: RequestMeta,
) {
  return transaction(deps.db, async (tx) => {
    // The inviter's role is held until commit: a removal or demotion racing with this waits,
    // then revokes what was sent (see inviter-authority.ts).
    const scope = await openOrganization(tx.db, ref, auth, { holdRole: true });
    authorize(deps, auth, scope, { type: "invitation:create", role: input.role }, meta.now);
    if (input.delivery === "email") requireVerifiedInviter(auth);
    const created = await createInvitations(deps, tx, scope.organization, input, {
      actor: actorOf(auth),
      inviterUserId: auth.user.id,
      inviterName: auth.user.name,
      meta,
    });
    // The raw token stays here: a link invitation carries it in its url, an emailed one in
    // the email alone.
    const invitations = created.invitations.map(({ token: _token, ...invitation }) => invitation);
    return { invitations, rejected: created.rejected };
  });
}

/**
 * An email carries the inviter's name to a stranger's inbox: only an account that proved its
 * own address may have the instance send one (a link, the inviter passes on themself).
 */
export function requireVerifiedInviter(auth: PersonCaller): void {
  if (!auth.user.emailVerifiedAt) {
    throw fail(
      "email_not_verified",
      "Verify your email address before inviting by email, or invite by link.",
    );
  }
}

/**
 * Creates the invitations inside the caller's transaction (also used by `atrium org create`).
 * A person's invitations count against the limits of invitation-limits.ts; an operator's
 * (no inviting user) do not.
 */
export async function createInvitations(
  deps: Deps,
  tx: Tx,
  organization: OrganizationRow,
  input: InviteInput,
  by: { actor: Actor; inviterUserId: string | null; inviterName: string; meta: RequestMeta | null },
) {
  const now = by.meta?.now ?? deps.clock.now();
  const rejected: Array<{ email: string; code: RejectionCode }> = [];
  const candidates: Array<{ email: string; canonical: string }> = [];
  for (const raw of input.emails) {
    const checked = checkEmail(raw);
    if (!checked.ok) rejected.push({ email: raw, code: "invalid_email" });
    else if (candidates.some((c) => c.canonical === checked.canonical))
      rejected.push({ email: raw, code: "duplicate" });
    else if (!domainAllowed(organization.allowed_email_domains, checked.canonical)) {
      rejected.push({ email: checked.email, code: "domain_not_allowed" });
    } else candidates.push({ email: checked.email, canonical: checked.canonical });
  }

  const canonicals = candidates.map((c) => c.canonical);
  await expireStaleInvitations(tx.db, organization.id, canonicals, now);
  const { members, invited } = await findTakenEmails(tx.db, organization.id, canonicals);
  let invitable: typeof candidates = [];
  for (const candidate of candidates) {
    if (members.has(candidate.canonical))
      rejected.push({ email: candidate.email, code: "already_member" });
    else if (invited.has(candidate.canonical))
      rejected.push({ email: candidate.email, code: "already_invited" });
    else invitable.push(candidate);
  }

  if (by.inviterUserId !== null) {
    const limited = await withinInvitationLimits(
      tx,
      { inviterUserId: by.inviterUserId, organizationId: organization.id },
      invitable,
      input.delivery,
      now,
    );
    rejected.push(
      ...limited.refused.map((c) => ({ email: c.email, code: "rate_limited" as const })),
    );
    invitable = limited.allowed;
  }

  const invitations = [];
  for (const candidate of invitable) {
    const token = newToken();
    const row: InvitationRow = {
      id: newId("inv", now.getTime()),
      organization_id: organization.id,
      email: candidate.email,
      email_canonical: candidate.canonical,
      role: input.role,
      delivery: input.delivery,
      token_hash: hashToken(token),
      status: "pending",
      invited_by_user_id: by.inviterUserId,
      invited_by_name: by.inviterName,
      created_at: now,
      expires_at: new Date(now.getTime() + deps.config.invitationTtlMs),
      responded_at: null,
    };
    if (!(await insertInvitationIfNone(tx.db, row))) {
      rejected.push({ email: candidate.email, code: "already_invited" });
      continue;
    }
    if (input.delivery === "email")
      await sendInvitationEmail(deps, tx, organization, row, token, now);
    await recordAuditEvent(
      tx,
      by.meta,
      {
        action: "invitation.created",
        actor: by.actor,
        organizationId: organization.id,
        target: { type: "invitation", id: row.id },
        metadata: { email: row.email, role: row.role, delivery: row.delivery },
      },
      now,
    );
    invitations.push({ ...toCreatedInvitation(deps.config, row, token), token });
  }
  return { invitations, rejected };
}

export async function sendInvitationEmail(
  deps: Deps,
  tx: Tx,
  organization: Pick<OrganizationRow, "name">,
  row: InvitationRow,
  token: string,
  now: Date,
): Promise<void> {
  await enqueueEmail(
    tx,
    invitationEmail(row.email, {
      organizationName: organization.name,
      inviterName: row.invited_by_name,
      role: row.role,
      url: invitationUrl(deps.config, token),
      expiresAt: row.expires_at,
    }),
    now,
  );
}
