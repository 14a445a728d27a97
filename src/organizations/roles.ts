import type { Role } from "../db/schema.js";

export type { Role };
export const ROLES: readonly Role[] = ["owner", "admin", "member"];

/**
 * The contract's roles table, as data. Each row: which roles may do it, and for actions on
 * another member or on a role, which roles of the target (or roles granted) each may touch.
 */
const TABLE = {
  /** See the organization, its members, use its resources. */
  "organization:read": { owner: true, admin: true, member: true },
  /** Update settings: name, slug, allowed email domains. */
  "organization:update": { owner: true, admin: true, member: false },
  "organization:delete": { owner: true, admin: false, member: false },
  "audit:read": { owner: true, admin: true, member: false },
  /** See, resend and revoke invitations. */
  "invitations:manage": { owner: true, admin: true, member: false },
} as const satisfies Record<string, Record<Role, boolean>>;

/** The roles each role may grant (by invitation or role change) and whose holders it may change or remove. */
const MANAGES: Record<Role, readonly Role[]> = {
  owner: ["owner", "admin", "member"],
  admin: ["admin", "member"],
  member: [],
};

/** May a member with this role (null: no longer a member) grant `granted`, by invitation or role change? */
export function mayGrant(role: Role | null, granted: Role): boolean {
  return role !== null && MANAGES[role].includes(granted);
}

export type OrganizationAction =
  | { type: keyof typeof TABLE }
  | { type: "invitation:create"; role: Role }
  | { type: "member:change_role"; target: { memberId: string; role: Role }; role: Role }
  | { type: "member:remove"; target: { memberId: string; role: Role } };

export interface OrganizationActor {
  memberId: string;
  role: Role;
}

/**
 * May this member do this in their organization? The one place a role is checked: every
 * organization-scoped service calls it (through `authorize`), no route checks a role itself.
 */
export function can(actor: OrganizationActor, action: OrganizationAction): boolean {
  switch (action.type) {
    case "invitation:create":
      return mayGrant(actor.role, action.role);
    case "member:change_role":
      return (
        MANAGES[actor.role].includes(action.target.role) &&
        MANAGES[actor.role].includes(action.role)
      );
    case "member:remove":
      // Anyone may leave; removing someone else follows the table.
      return (
        action.target.memberId === actor.memberId ||
        MANAGES[actor.role].includes(action.target.role)
      );
    default:
      return TABLE[action.type][actor.role];
  }
}

/** Granting or taking away ownership needs a fresh session (SECURITY.md SESS-06). */
export function touchesOwnership(action: OrganizationAction): boolean {
  if (action.type === "member:change_role")
    return action.role === "owner" || action.target.role === "owner";
  if (action.type === "member:remove") return action.target.role === "owner";
  return (
    action.type === "organization:delete" ||
    (action.type === "invitation:create" && action.role === "owner")
  );
}
