import type { Transaction } from "kysely";
import type { DB, MemberRow, OrganizationRow } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import type { AuthState } from "../sessions/session-cache.js";
import { isFresh } from "../sessions/sessions.service.js";
import { findOrganizationForMember } from "./organizations.queries.js";
import { can, type OrganizationAction, touchesOwnership } from "./roles.js";

export interface OrganizationScope {
  organization: OrganizationRow;
  member: MemberRow;
}

const NOT_FOUND = "No such organization.";

/**
 * Opens an organization for a signed-in account: its membership is the only way in, and a
 * missing organization and one the account is not a member of answer the same 404.
 */
export async function openOrganization(
  db: Deps["db"] | Transaction<DB>,
  ref: string,
  auth: AuthState,
  options: { lock?: boolean; holdRole?: boolean } = {},
): Promise<OrganizationScope> {
  const scope = await findOrganizationForMember(db, ref, auth.user.id, options);
  if (!scope) throw fail("not_found", NOT_FOUND);
  // A key bound to one organization acts only inside it.
  if (auth.apiKey?.organizationId && auth.apiKey.organizationId !== scope.organization.id) {
    throw fail("forbidden", "This API key is bound to another organization.");
  }
  return scope;
}

/**
 * Refuses the action unless the roles table allows it (403 forbidden), and asks for a fresh
 * session when it grants or takes away ownership or deletes the organization.
 */
export function authorize(
  deps: Deps,
  auth: AuthState,
  scope: OrganizationScope,
  action: OrganizationAction,
  now: Date,
): void {
  if (!can({ memberId: scope.member.id, role: scope.member.role }, action)) {
    throw fail("forbidden", "Your role in this organization does not allow this.");
  }
  if (touchesOwnership(action) && !isFresh(deps, auth, now)) {
    throw fail(
      "session_not_fresh",
      "Confirm your password to continue (POST /api/v1/auth/reauthenticate).",
    );
  }
}
