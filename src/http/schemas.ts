import Type, { type TProperties } from "typebox";
import { NAME_MAX_LENGTH } from "../lib/display-name.js";
import { fail } from "../lib/errors.js";

/** A request body object: unknown fields are refused, not silently dropped (SECURITY.md ACL-03). */
export const Body = <T extends TProperties>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });

export const EmailField = Type.String({ minLength: 1, maxLength: 320 });
/** Checked for length before any hashing: longer input is refused with 400. */
export const PasswordField = Type.String({ minLength: 1, maxLength: 1024 });
export const TokenField = Type.String({ minLength: 1, maxLength: 200 });
/** A display name (account, organization, API key): the database's limit, checked again trimmed. */
export const NameField = Type.String({ minLength: 1, maxLength: NAME_MAX_LENGTH });

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
});

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.String({ pattern: "^[0-9]{1,4}$", description: "1 to 200, default 50" }),
    ),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const MAX_PAGE_SIZE = 200;

/** `?limit=` as a number: default 50, at most 200. */
export function pageLimit(limit: string | undefined): number {
  if (limit === undefined) return 50;
  const value = Number(limit);
  if (value < 1 || value > MAX_PAGE_SIZE) {
    throw fail("invalid_request", `limit must be from 1 to ${MAX_PAGE_SIZE}.`, {
      details: [{ field: "limit", problem: `must be from 1 to ${MAX_PAGE_SIZE}` }],
    });
  }
  return value;
}

export const Page = <T extends import("typebox").TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
