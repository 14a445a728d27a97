import { isUniqueViolation } from "../db/errors.js";
import type { Role } from "../db/schema.js";
import { transaction } from "../db/transaction.js";
import type { Deps } from "../deps.js";
import { domainAllowed } from "../invitations/invitation.js";
import { findLiveInvitation } from "../invitations/respond-to-invitation.js";
import { requireDisplayName } from "../lib/display-name.js";
import { fail } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import type { RequestMeta } from "../lib/request-meta.js";
import { POLICIES, perAddress, requireAttempt } from "../rate-limit/rate-limit.js";
import { type IssuedSession, startSession } from "../sessions/sessions.service.js";
import { requireEmail, requireStrongPassword } from "./account-input.js";
import { findUserByCanonicalEmail } from "./accounts.queries.js";
import { type IssuedDevice, rememberDevice } from "./known-devices.js";
import { createAccount } from "./new-account.js";
import { toUser, type User, withPasswordFlag } from "./user.js";

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
  invitationToken?: string | undefined;
}

/**
 * Creates an account and signs it in. The account, its first session, its personal
 * organization or the organization it was invited to, its verification email and their audit
 * events commit together; two sign-ups racing for one address (in any letter
 * case) meet at the unique index on the canonical email, and one of them gets email_taken.
 */
export async function signUp(
  deps: Deps,
  input: SignUpInput,
  meta: RequestMeta,
): Promise<{
  user: User;
  joined: { organization: { id: string; slug: string; name: string }; role: Role } | undefined;
  session: IssuedSession;
  device: IssuedDevice;
}> {
  const { config } = deps;
  if (config.signup === "invite-only" && !input.invitationToken) {
    throw fail("signup_disabled", "This instance accepts new accounts by invitation only.");
  }
  const { email, canonical } = requireEmail(input.email);
  const name = requireDisplayName(input.name);
  requireStrongPassword(config, input.password, { email, name });
  // A dead or expired invitation creates nothing: it is checked before anything is written.
  const invitation =
    input.invitationToken === undefined
      ? undefined
      : await findLiveInvitation(deps, input.invitationToken, meta);
  if (invitation && invitation.email_canonical !== canonical) {
    throw fail(
      "invitation_email_mismatch",
      "Sign up with the email address the invitation was sent to.",
    );
  }
  if (invitation && !domainAllowed(invitation.allowed_email_domains, canonical)) {
    throw fail(
      "domain_not_allowed",
      "This organization no longer accepts members from this email domain.",
    );
  }

  await requireAttempt(
    deps.db,
    [{ key: perAddress("signup", meta.ipAddress), policy: POLICIES.signUpPerAddress }],
    meta.now,
    "Too many sign-ups from this address; try again later.",
  );
  // Not a security boundary (the unique index is): it spares a hash for a taken address.
  if (await findUserByCanonicalEmail(deps.db, canonical)) {
    throw fail("email_taken", "An account with this email address already exists.");
  }
  const passwordHash = await deps.passwords.hash(input.password);

  try {
    return await transaction(deps.db, async (tx) => {
      const row = {
        id: newId("usr", meta.now.getTime()),
        email,
        email_canonical: canonical,
        name,
        password_hash: passwordHash,
        // An emailed invitation's link proved the mailbox; a shared link proves nothing.
        email_verified_at: invitation?.delivery === "email" ? meta.now : null,
        disabled_at: null,
        credentials_epoch: 0,
        created_at: meta.now,
        updated_at: meta.now,
      };
      await createAccount(deps, tx, row, meta, { invitation });
      const session = await startSession(deps, tx, row.id, meta);
      const device = await rememberDevice(tx.db, row.id, meta.now);
      // Where the console takes the person: the organization the invitation let them into.
      const joined = invitation
        ? {
            organization: {
              id: invitation.organization_id,
              slug: invitation.organization_slug,
              name: invitation.organization_name,
            },
            role: invitation.role,
          }
        : undefined;
      return { user: toUser(withPasswordFlag(row)), joined, session, device };
    });
  } catch (error) {
    if (isUniqueViolation(error, "users_email_canonical_key")) {
      throw fail("email_taken", "An account with this email address already exists.");
    }
    throw error;
  }
}
