import { describe, expect, it } from "vitest";
import { can, type OrganizationAction, type Role, touchesOwnership } from "./roles.js";

const ROLES: Role[] = ["owner", "admin", "member"];

/** The contract's roles table (API.md "Roles"), written out cell by cell. */
const SIMPLE_ACTIONS: Record<string, Record<Role, boolean>> = {
  "organization:read": { owner: true, admin: true, member: true },
  "organization:update": { owner: true, admin: true, member: false },
  "invitations:manage": { owner: true, admin: true, member: false },
  "audit:read": { owner: true, admin: true, member: false },
  "organization:delete": { owner: true, admin: false, member: false },
};
/** Invite (and resend, revoke): owner any role; admin admin or member; member none. */
const MAY_INVITE: Record<Role, Role[]> = {
  owner: ["owner", "admin", "member"],
  admin: ["admin", "member"],
  member: [],
};
/** Change a member's role: owner any; admin between admin and member, not of an owner. */
const MAY_CHANGE: Record<Role, Array<`${Role}->${Role}`>> = {
  owner: ROLES.flatMap((from) => ROLES.map((to) => `${from}->${to}` as const)),
  admin: ["admin->admin", "admin->member", "member->admin", "member->member"],
  member: [],
};
/** Remove another member: owner anyone; admin admins and members; member nobody. */
const MAY_REMOVE: Record<Role, Role[]> = {
  owner: ["owner", "admin", "member"],
  admin: ["admin", "member"],
  member: [],
};

const actor = (role: Role) => ({ memberId: "mem_actor", role });
const other = (role: Role) => ({ memberId: "mem_other", role });

describe("can(), the roles table", () => {
  const simple = ROLES.flatMap((role) =>
    Object.entries(SIMPLE_ACTIONS).map(([type, row]) => ({ role, type, allowed: row[role] })),
  );
  it.each(simple)("$role may $type: $allowed", ({ role, type, allowed }) => {
    expect(can(actor(role), { type } as OrganizationAction)).toBe(allowed);
  });

  const invites = ROLES.flatMap((role) =>
    ROLES.map((invited) => ({ role, invited, allowed: MAY_INVITE[role].includes(invited) })),
  );
  it.each(invites)("$role may invite an $invited: $allowed", ({ role, invited, allowed }) => {
    expect(can(actor(role), { type: "invitation:create", role: invited })).toBe(allowed);
  });

  const changes = ROLES.flatMap((role) =>
    ROLES.flatMap((from) =>
      ROLES.map((to) => ({ role, from, to, allowed: MAY_CHANGE[role].includes(`${from}->${to}`) })),
    ),
  );
  it.each(changes)(
    "$role may change another $from into $to: $allowed",
    ({ role, from, to, allowed }) => {
      const action = { type: "member:change_role", target: other(from), role: to } as const;
      expect(can(actor(role), action)).toBe(allowed);
    },
  );

  it.each(ROLES)("a %s may not change their own role beyond what they could grant", (role) => {
    for (const to of ROLES) {
      const action = { type: "member:change_role", target: actor(role), role: to } as const;
      expect(can(actor(role), action), `${role} -> ${to}`).toBe(
        MAY_CHANGE[role].includes(`${role}->${to}`),
      );
    }
  });

  const removals = ROLES.flatMap((role) =>
    ROLES.map((target) => ({ role, target, allowed: MAY_REMOVE[role].includes(target) })),
  );
  it.each(removals)("$role may remove another $target: $allowed", ({ role, target, allowed }) => {
    expect(can(actor(role), { type: "member:remove", target: other(target) })).toBe(allowed);
  });

  it.each(ROLES)("a %s may always remove themself (leave)", (role) => {
    expect(can(actor(role), { type: "member:remove", target: actor(role) })).toBe(true);
  });
});

describe("touchesOwnership(), the actions that need a fresh session", () => {
  it("covers deleting the organization and granting, taking or removing ownership", () => {
    expect(touchesOwnership({ type: "organization:delete" })).toBe(true);
    expect(touchesOwnership({ type: "invitation:create", role: "owner" })).toBe(true);
    for (const from of ROLES) {
      for (const to of ROLES) {
        const action = { type: "member:change_role", target: other(from), role: to } as const;
        expect(touchesOwnership(action), `${from} -> ${to}`).toBe(
          from === "owner" || to === "owner",
        );
      }
    }
    for (const target of ROLES) {
      const action = { type: "member:remove", target: other(target) } as const;
      expect(touchesOwnership(action), target).toBe(target === "owner");
    }
  });

  it("leaves reading, settings, invitations of lower roles and audit alone", () => {
    for (const type of [
      "organization:read",
      "organization:update",
      "invitations:manage",
      "audit:read",
    ]) {
      expect(touchesOwnership({ type } as OrganizationAction), type).toBe(false);
    }
    expect(touchesOwnership({ type: "invitation:create", role: "admin" })).toBe(false);
    expect(touchesOwnership({ type: "invitation:create", role: "member" })).toBe(false);
  });
});
