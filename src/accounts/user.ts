import Type, { type Static } from "typebox";
import type { CallerAccount } from "../access/caller.js";
import type { UserRow } from "../db/schema.js";

/** The account as the API shows it; one mapping keeps the password hash out of every response. */
export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    emailVerified: Type.Boolean(),
    hasPassword: Type.Boolean({
      description:
        "Whether the account has a password. One made by social sign-in has none until it sets " +
        "one through the password reset flow.",
    }),
    createdAt: Type.String({ format: "date-time" }),
  },
  { $id: "User" },
);
export type User = Static<typeof UserSchema>;

export function toUser(
  row: Pick<UserRow, "id" | "email" | "name" | "email_verified_at" | "created_at"> & {
    has_password: boolean;
  },
): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified_at !== null,
    hasPassword: row.has_password,
    createdAt: row.created_at.toISOString(),
  };
}

/** A full account row, as `toUser` reads it: whether a password is set, never the hash. */
export function withPasswordFlag<Row extends Pick<UserRow, "password_hash">>(
  row: Row,
): Row & { has_password: boolean } {
  return { ...row, has_password: row.password_hash !== null };
}

/** The caller's account from its cached copy (no read), through the same mapping. */
export function toCurrentUser(user: CallerAccount): User {
  return toUser({
    ...user,
    email_verified_at: user.emailVerifiedAt,
    has_password: user.hasPassword,
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
