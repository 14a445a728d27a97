import Type, { type Static } from "typebox";
import type { OrganizationRow, Role } from "../db/schema.js";

export const RoleSchema = Type.Union([
  Type.Literal("owner"),
  Type.Literal("admin"),
  Type.Literal("member"),
]);

export const OrganizationSchema = Type.Object(
  {
    id: Type.String(),
    slug: Type.String(),
    name: Type.String(),
    createdAt: Type.String({ format: "date-time" }),
    allowedEmailDomains: Type.Array(Type.String()),
    myRole: RoleSchema,
  },
  { $id: "Organization" },
);
export type Organization = Static<typeof OrganizationSchema>;

export function toOrganization(row: OrganizationRow, myRole: Role): Organization {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    createdAt: row.created_at.toISOString(),
    allowedEmailDomains: row.allowed_email_domains,
    myRole,
  };
}
