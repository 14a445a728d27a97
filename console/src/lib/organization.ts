import { queryOptions } from "@tanstack/react-query";
import type { Role } from "../../../src/organizations/roles.js";
import { api, unwrap } from "./api";

// The roles table is the server's own (src/organizations/roles.ts, plain data): the console
// shows a control only where the API would allow it, from the same rules.
export { can, mayGrant } from "../../../src/organizations/roles.js";
export type { Role };

export const ROLE_NAMES: Record<Role, string> = {
  owner: "Owner",
  admin: "Admin",
  member: "Member",
};

/**
 * One organization, by the slug in the address. Every organization page keys its queries by
 * the slug first, so switching organizations never shows one's data in another.
 */
export function organizationQuery(slug: string) {
  return queryOptions({
    queryKey: ["organization", slug],
    queryFn: () =>
      unwrap(api.GET("/api/v1/organizations/{org}", { params: { path: { org: slug } } })),
    staleTime: 30_000,
  });
}

/** Owners and admins manage an organization; members only use it. */
export function mayManage(role: Role): boolean {
  return role === "owner" || role === "admin";
}
