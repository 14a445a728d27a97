import type { Transaction } from "kysely";
import type { PersonCaller } from "../access/caller.js";
import { permitInOrganization } from "../access/policy.js";
import type { DB, MemberRow, OrganizationRow } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import { findOrganizationForMember } from "./organizations.queries.js";

export interface OrganizationScope {
  organization: OrganizationRow;
  member: MemberRow;
}

const NOT_FOUND = "No such organization.";

/**
 * Opens an organization for a signed-in account: its membership is the only way in, and a
 * missing organization and one the account is not a member of answer the same 404. What the
 * caller may then do there is `authorize` (src/access/policy.ts).
 */
export async function openOrganization(
  db: Deps["db"] | Transaction<DB>,
  ref: string,
  auth: PersonCaller,
  options: { lock?: boolean; holdRole?: boolean } = {},
): Promise<OrganizationScope> {
  const scope = await findOrganizationForMember(db, ref, auth.user.id, options);
  if (!scope) throw fail("not_found", NOT_FOUND);
  permitInOrganization(auth, scope.organization.id);
  return scope;
}
