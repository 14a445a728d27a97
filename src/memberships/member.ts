import Type, { type Static } from "typebox";
import type { Role } from "../db/schema.js";
import { RoleSchema } from "../organizations/organization.js";

export const MemberSchema = Type.Object(
  {
    id: Type.String(),
    user: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
    role: RoleSchema,
    joinedAt: Type.String({ format: "date-time" }),
  },
  { $id: "Member" },
);
export type Member = Static<typeof MemberSchema>;

export function toMember(row: {
  id: string;
  role: Role;
  created_at: Date;
  user_id: string;
  email: string;
  name: string;
}): Member {
  return {
    id: row.id,
    user: { id: row.user_id, email: row.email, name: row.name },
    role: row.role,
    joinedAt: row.created_at.toISOString(),
  };
}
