import { fail } from "./errors.js";

/**
 * The one limit on display names (accounts, organizations, API keys), in characters: the
 * database's own, `CHECK (char_length(name) BETWEEN 1 AND 100)` on each of those tables.
 */
export const NAME_MAX_LENGTH = 100;

// Control, format (bidi overrides, zero-width) and separator characters other than a space.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}]/u;

/**
 * A display name as stored: trimmed, NFC, 1 to NAME_MAX_LENGTH characters, nothing invisible
 * or reordering (a name is shown to others: in member lists, invitation emails, audit logs).
 * Otherwise a 400 naming the field.
 */
export function requireDisplayName(input: string, field = "name"): string {
  const name = input.trim().normalize("NFC");
  const problem =
    name.length === 0
      ? "must not be empty"
      : [...name].length > NAME_MAX_LENGTH
        ? `must be at most ${NAME_MAX_LENGTH} characters`
        : UNPRINTABLE.test(name)
          ? "must not contain control or invisible characters"
          : undefined;
  if (problem)
    throw fail("invalid_request", `The name ${problem}.`, { details: [{ field, problem }] });
  return name;
}
