import { type Actor, recordAuditEvent, userActor } from "../audit/audit-events.js";
import type { UserRow } from "../db/schema.js";
import type { Tx } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import type { InvitationWithOrganization } from "../invitations/invitations.queries.js";
import { joinThroughInvitation } from "../invitations/respond-to-invitation.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { enqueueEmail } from "../mail/outbox.js";
import { verificationEmail } from "../mail/templates.js";
import {
  insertOrganization,
  recordOrganizationCreated,
} from "../organizations/organizations.service.js";
import { accountLink } from "./account-input.js";
import { issueAccountToken } from "./account-tokens.js";
import { insertUser } from "./accounts.queries.js";

/** "{Name}'s Organization", within the 100 characters a name may have. */
export function personalOrganizationName(name: string): string {
  const suffix = "'s Organization";
  return [...name].slice(0, 100 - suffix.length).join("") + suffix;
}

/**
 * Writes a new account with what every new account gets, however it signed up (password or
 * social), in the transaction that creates it: its `user.signed_up` event, the organization
 * its invitation joins, its personal organization when that setting is on, and the
 * verification email when nothing has proven the address yet. Returns the account as the
 * actor of what follows.
 */
export async function createAccount(
  deps: Deps,
  tx: Tx,
  row: UserRow,
  meta: RequestMeta,
  options: { invitation?: InvitationWithOrganization | undefined; metadata?: object },
): Promise<Actor> {
  const { invitation } = options;
  await insertUser(tx.db, row);
  const actor = userActor(row);
  await recordAuditEvent(tx, meta, {
    action: "user.signed_up",
    actor,
    subjectUserId: row.id,
    target: { type: "user", id: row.id },
    metadata: { ...options.metadata, ...(invitation ? { invitationId: invitation.id } : {}) },
  });
  if (invitation) await joinThroughInvitation(tx, invitation, row, meta);
  if (deps.config.personalOrgs) {
    const personal = await insertOrganization(
      tx,
      { name: personalOrganizationName(row.name), ownerUserId: row.id },
      meta.now,
    );
    await recordOrganizationCreated(tx, meta, personal, actor, row.id);
  }
  if (!row.email_verified_at) {
    const token = await issueAccountToken(tx.db, {
      userId: row.id,
      purpose: "email_verification",
      email: row.email,
      now: meta.now,
    });
    const link = accountLink(deps.config, "verify-email", token);
    await enqueueEmail(tx, verificationEmail(row.email, row.name, link), meta.now);
  }
  return actor;
}
