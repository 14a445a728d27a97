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

/** The caller's account from its cached copy (no read), through the same mapping. */
export function toCurrentUser(user: {
  id: string;
  email: string;
  name: string;
  emailVerifiedAt: Date | null;
  createdAt: Date;
}): User {
  return toUser({
    ...user,
    email_verified_at: user.emailVerifiedAt,
    created_at: user.createdAt,
  });
}

/** An account as operators list it: the user, and whether it is disabled. */
export interface AccountSummary extends User {
  disabled: boolean;
}

export function toAccountSummary(
  row: Parameters<typeof toUser>[0] & Pick<UserRow, "disabled_at">,
): AccountSummary {
  const { createdAt, ...user } = toUser(row);
  return { ...user, disabled: row.disabled_at !== null, createdAt };
}
