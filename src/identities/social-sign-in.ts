import { findUserByCanonicalEmail, findUserById } from "../accounts/accounts.queries.js";
import { createAccount } from "../accounts/new-account.js";
import { type Actor, recordAuditEvent, userActor } from "../audit/audit-events.js";
import { isUniqueViolation } from "../db/errors.js";
import type { OAuthFlowRow, UserRow } from "../db/schema.js";
import { type Tx, transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { domainAllowed } from "../invitations/invitation.js";
import {
  findInvitationByTokenHash,
  findPendingInvitationForEmail,
  type InvitationWithOrganization,
  listInvitationsForEmail,
} from "../invitations/invitations.queries.js";
import { requireDisplayName } from "../lib/display-name.js";
import { checkEmail } from "../lib/email-address.js";
import { newId } from "../lib/ids.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { signIns } from "../metrics/metrics.js";
import { type IssuedSession, startSession } from "../sessions/sessions.service.js";
import { findIdentity, insertIdentity, touchIdentity } from "./identities.queries.js";
import type { ProviderProfile, SocialProvider } from "./providers.js";
import { socialFail } from "./social-flow-error.js";

export interface SocialSignInResult {
  session: IssuedSession;
  userId: string;
  /** What happened, for the tests and the audit trail. */
  outcome: "signed_in" | "linked" | "signed_up";
  /** The slug of the organization a sign-up joined by invitation: where the person lands. */
  joinedSlug?: string;
}

/** When the person proved who they are: the provider's `auth_time`, never in the future. */
export function authenticatedAtOf(profile: ProviderProfile, now: Date): Date {
  return profile.authTime && profile.authTime < now ? profile.authTime : now;
}

/** A display name for a new account: the provider's, or the address's local part. */
function nameFor(profile: ProviderProfile, email: string): string {
  for (const candidate of [profile.name, email.split("@")[0]]) {
    if (!candidate) continue;
    try {
      return requireDisplayName([...candidate.trim()].slice(0, 100).join(""));
    } catch {
      // An unusable name at the provider (control characters): try the next.
    }
  }
  return "New user";
}

async function signInAs(
  deps: Deps,
  tx: Tx,
  user: Pick<UserRow, "id" | "email">,
  provider: SocialProvider,
  profile: ProviderProfile,
  meta: RequestMeta,
): Promise<IssuedSession> {
  const session = await startSession(deps, tx, user.id, meta, authenticatedAtOf(profile, meta.now));
  await recordAuditEvent(tx, meta, {
    action: "user.signed_in",
    actor: userActor(user),
    subjectUserId: user.id,
    metadata: { method: "social", provider: provider.id },
  });
  return session;
}

export async function linkIdentity(
  tx: Tx,
  user: Pick<UserRow, "id" | "email">,
  provider: SocialProvider,
  profile: ProviderProfile,
  meta: RequestMeta,
  actor: Actor,
  how: "automatic" | "sign_up" | "settings",
): Promise<string> {
  const id = newId("idn", meta.now.getTime());
  const inserted = await insertIdentity(tx.db, {
    id,
    user_id: user.id,
    provider: provider.id,
    issuer: profile.issuer,
    subject: profile.subject,
    email: profile.email,
    created_at: meta.now,
    last_used_at: meta.now,
  });
  // Two callbacks for one new identity raced: the other linked it first.
  if (!inserted) throw socialFail("identity_taken", "This identity is linked to an account.");
  await recordAuditEvent(tx, meta, {
    action: "identity.linked",
    actor,
    subjectUserId: user.id,
    target: { type: "identity", id },
    metadata: { provider: provider.id, how },
  });
  return id;
}

/** The invitation a flow carried, still pending and for this address, or a refusal. */
async function invitationOfFlow(
  deps: Deps,
  flow: OAuthFlowRow,
  canonical: string,
  now: Date,
): Promise<InvitationWithOrganization | undefined> {
  if (flow.invitation_token_hash === null) return undefined;
  const invitation = await findInvitationByTokenHash(deps.db, flow.invitation_token_hash);
  if (invitation?.status !== "pending") {
    throw socialFail("invitation_invalid", "This invitation is no longer valid.");
  }
  if (invitation.expires_at <= now) {
    throw socialFail("invitation_expired", "This invitation has expired; ask for a new one.");
  }
  if (invitation.email_canonical !== canonical) {
    throw socialFail(
      "invitation_email_mismatch",
      "The invitation was sent to another address than the provider's.",
    );
  }
  return invitation;
}

/** Under invite-only sign-up, a pending invitation to the address the provider verified. */
async function pendingInvitationFor(deps: Deps, canonical: string, now: Date) {
  const [first] = await listInvitationsForEmail(deps.db, canonical, { limit: 1, now });
  return first ? findPendingInvitationForEmail(deps.db, first.id, canonical) : undefined;
}

/**
 * Signs in with a provider's validated answer, by the linking rules that close the known
 * takeover paths:
 * - a known identity signs its account in (unless the account is disabled);
 * - a new identity whose provider verified the email links to the account with that email
 *   only if the account's email is verified too; otherwise nothing is linked;
 * - a new identity with no matching account creates one (no password; verified only if the
 *   provider said so), under invite-only only with a pending invitation, which it accepts.
 */
export async function socialSignIn(
  deps: Deps,
  provider: SocialProvider,
  profile: ProviderProfile,
  flow: OAuthFlowRow,
  meta: RequestMeta,
): Promise<SocialSignInResult> {
  const known = await findIdentity(deps.db, profile.issuer, profile.subject);
  if (known) {
    const user = await findUserById(deps.db, known.user_id);
    if (!user || user.disabled_at) {
      throw socialFail("account_disabled", "This account is disabled.");
    }
    return transaction(deps.db, async (tx) => {
      await touchIdentity(tx.db, known.id, { email: profile.email, last_used_at: meta.now });
      const session = await signInAs(deps, tx, user, provider, profile, meta);
      signIns.inc({ result: "success" });
      return { session, userId: user.id, outcome: "signed_in" as const };
    });
  }

  const checked = profile.email === null ? undefined : checkEmail(profile.email);
  if (!checked?.ok) {
    throw socialFail("email_required", "The provider did not share a usable email address.");
  }
  const existing = await findUserByCanonicalEmail(deps.db, checked.canonical);
  if (existing) {
    // Both sides must have verified the address: an unverified side is how accounts are taken
    // over (someone registers the victim's address where it is not checked).
    if (!profile.emailVerified || !existing.email_verified_at) {
      throw socialFail(
        "link_required",
        "An account with this email exists. Sign in with its password, then connect this " +
          "provider from the account settings.",
      );
    }
    if (existing.disabled_at) throw socialFail("account_disabled", "This account is disabled.");
    return transaction(deps.db, async (tx) => {
      await linkIdentity(tx, existing, provider, profile, meta, userActor(existing), "automatic");
      const session = await signInAs(deps, tx, existing, provider, profile, meta);
      signIns.inc({ result: "success" });
      return { session, userId: existing.id, outcome: "linked" as const };
    });
  }
  return socialSignUp(deps, provider, profile, flow, checked, meta);
}

async function socialSignUp(
  deps: Deps,
  provider: SocialProvider,
  profile: ProviderProfile,
  flow: OAuthFlowRow,
  checked: { email: string; canonical: string },
  meta: RequestMeta,
): Promise<SocialSignInResult> {
  const { config } = deps;
  let invitation = await invitationOfFlow(deps, flow, checked.canonical, meta.now);
  if (!invitation && config.signup === "invite-only") {
    // Only an address the provider verified may claim an invitation sent to it.
    invitation = profile.emailVerified
      ? await pendingInvitationFor(deps, checked.canonical, meta.now)
      : undefined;
    if (!invitation) {
      throw socialFail("signup_disabled", "This instance accepts new accounts by invitation only.");
    }
  }
  if (invitation && !domainAllowed(invitation.allowed_email_domains, checked.canonical)) {
    throw socialFail(
      "domain_not_allowed",
      "This organization no longer accepts members from this email domain.",
    );
  }
  // An account is made only for a proven address: proven by the provider, or by the emailed
  // invitation's link. One made for an unproven address would be claimed later by the
  // mailbox's owner (through a verification or reset link) with the identity that made it,
  // perhaps an impostor's, still linked: pre-account hijacking.
  if (!profile.emailVerified && invitation?.delivery !== "email") {
    throw socialFail(
      "email_not_verified",
      "The provider does not say this email address is verified. Verify it there, or sign up " +
        "with a password.",
    );
  }
  const name = nameFor(profile, checked.email);
  try {
    return await transaction(deps.db, async (tx) => {
      const row: UserRow = {
        id: newId("usr", meta.now.getTime()),
        email: checked.email,
        email_canonical: checked.canonical,
        name,
        // No password: the way in is the provider, until one is set through a reset link.
        password_hash: null,
        // Verified when the provider said so, or an emailed invitation's link proved the mailbox.
        email_verified_at:
          profile.emailVerified || invitation?.delivery === "email" ? meta.now : null,
        disabled_at: null,
        credentials_epoch: 0,
        created_at: meta.now,
        updated_at: meta.now,
      };
      const actor = await createAccount(deps, tx, row, meta, {
        invitation,
        metadata: { method: "social", provider: provider.id },
      });
      await linkIdentity(tx, row, provider, profile, meta, actor, "sign_up");
      const session = await startSession(
        deps,
        tx,
        row.id,
        meta,
        authenticatedAtOf(profile, meta.now),
      );
      return {
        session,
        userId: row.id,
        outcome: "signed_up" as const,
        ...(invitation ? { joinedSlug: invitation.organization_slug } : {}),
      };
    });
  } catch (error) {
    // A password sign-up for the same address won the race.
    if (isUniqueViolation(error, "users_email_canonical_key")) {
      throw socialFail("link_required", "An account with this email exists.");
    }
    throw error;
  }
}
