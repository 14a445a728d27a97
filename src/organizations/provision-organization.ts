import type { Caller } from "../access/caller.js";
import { permit } from "../access/policy.js";
import { requireEmail } from "../accounts/account-input.js";
import { actorOf } from "../audit/audit-events.js";
import type { OrganizationRow } from "../db/schema.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { invitationUrl } from "../invitations/invitation.js";
import { createInvitations } from "../invitations/invite-members.js";
import { fail } from "../lib/errors.js";
import { insertOrganization, recordOrganizationCreated } from "./organizations.service.js";

/**
 * The operator's way to start an organization on an invitation-only instance: the
 * organization (open to its owner's email domain) and an emailed owner invitation, together.
 */
export async function provisionOrganization(
  deps: Deps,
  caller: Caller,
  input: { name: string; ownerEmail: string; slug?: string | undefined },
): Promise<{ organization: OrganizationRow; invitationUrl: string; expiresAt: string }> {
  const now = deps.clock.now();
  const operator = actorOf(permit(deps, caller, "operator.organizations", now));
  const owner = requireEmail(input.ownerEmail, "owner");
  return transaction(deps.db, async (tx) => {
    const organization = await insertOrganization(
      tx,
      { name: input.name, slug: input.slug, allowedEmailDomains: [owner.domain] },
      now,
    );
    await recordOrganizationCreated(tx, null, organization, operator, undefined, now);
    const { invitations } = await createInvitations(
      deps,
      tx,
      organization,
      { emails: [owner.email], role: "owner", delivery: "email" },
      { actor: operator, inviterUserId: null, inviterName: "The Atrium operator", meta: null },
    );
    const invitation = invitations[0];
    if (!invitation) throw fail("conflict", "The owner invitation could not be created.");
    return {
      organization,
      invitationUrl: invitationUrl(deps.config, invitation.token),
      expiresAt: invitation.expiresAt,
    };
  });
}
