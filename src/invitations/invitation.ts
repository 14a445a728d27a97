import Type from "typebox";
import type { Config } from "../config.js";
import type { InvitationRow } from "../db/schema.js";
import { RoleSchema } from "../organizations/organization.js";

export const CreatedInvitationSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: RoleSchema,
  expiresAt: Type.String({ format: "date-time" }),
  url: Type.Optional(Type.String()),
});

export const PendingInvitationSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: RoleSchema,
  delivery: Type.Union([Type.Literal("email"), Type.Literal("link")]),
  invitedBy: Type.Object({ name: Type.String() }),
  createdAt: Type.String({ format: "date-time" }),
  expiresAt: Type.String({ format: "date-time" }),
});

export function invitationUrl(config: Config, token: string): string {
  return `${config.publicUrl}/invite/${token}`;
}

/** An invitation as its inviter sees it right after creating or resending it; the link only for link delivery. */
export function toCreatedInvitation(config: Config, row: InvitationRow, token: string) {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    expiresAt: row.expires_at.toISOString(),
    ...(row.delivery === "link" ? { url: invitationUrl(config, token) } : {}),
  };
}

export function toPendingInvitation(row: InvitationRow) {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    delivery: row.delivery,
    invitedBy: { name: row.invited_by_name },
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
  };
}

/** Whether an address's canonical domain is one the organization allows (exact match, SECURITY.md INV-03). */
export function domainAllowed(allowedDomains: string[], emailCanonical: string): boolean {
  if (allowedDomains.length === 0) return true;
  const domain = emailCanonical.slice(emailCanonical.lastIndexOf("@") + 1);
  return allowedDomains.includes(domain);
}
