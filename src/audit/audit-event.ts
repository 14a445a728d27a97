import Type from "typebox";
import type { StoredAuditEvent } from "./audit-chain.js";

export const AuditEventSchema = Type.Object(
  {
    id: Type.String(),
    action: Type.String(),
    actor: Type.Object({
      type: Type.Union([Type.Literal("user"), Type.Literal("api_key"), Type.Literal("system")]),
      id: Type.Union([Type.String(), Type.Null()]),
      email: Type.Optional(Type.String()),
    }),
    organizationId: Type.Optional(Type.String()),
    target: Type.Optional(Type.Object({ type: Type.String(), id: Type.String() })),
    ipAddress: Type.Optional(Type.String()),
    userAgent: Type.Optional(Type.String()),
    createdAt: Type.String({ format: "date-time" }),
    metadata: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: "AuditEvent" },
);

/** The contract's event shape; the chain fields stay internal. */
export function toAuditEvent(row: StoredAuditEvent) {
  return {
    id: row.id,
    action: row.action,
    actor: {
      type: row.actor_type,
      id: row.actor_id,
      ...(row.actor_email ? { email: row.actor_email } : {}),
    },
    ...(row.organization_id ? { organizationId: row.organization_id } : {}),
    ...(row.target_type && row.target_id
      ? { target: { type: row.target_type, id: row.target_id } }
      : {}),
    ...(row.ip_address ? { ipAddress: row.ip_address } : {}),
    ...(row.user_agent ? { userAgent: row.user_agent } : {}),
    createdAt: row.created_at.toISOString(),
    metadata: row.metadata,
  };
}

const CSV_COLUMNS = [
  "id",
  "createdAt",
  "action",
  "actorType",
  "actorId",
  "actorEmail",
  "organizationId",
  "targetType",
  "targetId",
  "ipAddress",
  "userAgent",
  "metadata",
] as const;

/**
 * One CSV field: quoted when it holds a separator, quote or line break; a leading =, +, -, @
 * (a formula to a spreadsheet) is defused with a quote mark, since values come from users.
 */
function csvField(value: string | null): string {
  if (value === null) return "";
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const CSV_HEADER = `${CSV_COLUMNS.join(",")}\r\n`;

export function toCsvLine(row: StoredAuditEvent): string {
  return `${[
    row.id,
    row.created_at.toISOString(),
    row.action,
    row.actor_type,
    row.actor_id,
    row.actor_email,
    row.organization_id,
    row.target_type,
    row.target_id,
    row.ip_address,
    row.user_agent,
    JSON.stringify(row.metadata),
  ]
    .map(csvField)
    .join(",")}\r\n`;
}
