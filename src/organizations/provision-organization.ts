import { requireEmail } from "../accounts/account-input.js";
import type { OrganizationRow } from "../db/schema.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { invitationUrl } from "../invitations/invitation.js";
import { createInvitations } from "../invitations/invite-members.js";
import { fail } from "../lib/errors.js";
import { insertOrganization, recordOrganizationCreated } from "./organizations.service.js";

const OPERATOR = { type: "system", id: "cli" } as const;

/**
 * The operator's way to start an organization on an invitation-only instance: the
 * organization (open to its owner's email domain) and an emailed owner invitation, together.
 */
export async function provisionOrganization(
  deps: Deps,
  input: { name: string; ownerEmail: string; slug?: string | undefined },
): Promise<{ organization: OrganizationRow; invitationUrl: string; expiresAt: string }> {
  const owner = requireEmail(input.ownerEmail, "owner");
  const now = deps.clock.now();
  return transaction(deps.db, async (tx) => {
    const organization = await insertOrganization(
      tx,
      { name: input.name, slug: input.slug, allowedEmailDomains: [owner.domain] },
      now,
    );
    await recordOrganizationCreated(tx, null, organization, OPERATOR, undefined, now);
    const { invitations } = await createInvitations(
      deps,
      tx,
      organization,
      { emails: [owner.email], role: "owner", delivery: "email" },
      { actor: OPERATOR, inviterUserId: null, inviterName: "The Atrium operator", meta: null },
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
