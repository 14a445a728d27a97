import Type, { type Static } from "typebox";
import type { UserRow } from "../db/schema.js";

/** The account as the API shows it; one mapping keeps the password hash out of every response. */
export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    emailVerified: Type.Boolean(),
    createdAt: Type.String({ format: "date-time" }),
  },
  { $id: "User" },
);
export type User = Static<typeof UserSchema>;

export function toUser(
  row: Pick<UserRow, "id" | "email" | "name" | "email_verified_at" | "created_at">,
): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified_at !== null,
    createdAt: row.created_at.toISOString(),
  };
}
