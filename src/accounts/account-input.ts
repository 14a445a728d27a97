import type { Config } from "../config.js";
import { checkEmail } from "../lib/email-address.js";
import { fail } from "../lib/errors.js";
import { PASSWORD_MAX_LENGTH, weakPasswordReason } from "./password-policy.js";

/** An email address as typed, or a 400 naming the field and what is wrong with it. */
export function requireEmail(
  input: string,
  field = "email",
): { email: string; canonical: string; domain: string } {
  const checked = checkEmail(input);
  if (!checked.ok) {
    throw fail("invalid_request", `The email address ${checked.reason}.`, {
      details: [{ field, problem: checked.reason }],
    });
  }
  return checked;
}

/** A new password that follows the policy, or 422 weak_password saying why. */
export function requireStrongPassword(
  config: Config,
  password: string,
  owner: { email: string; name: string },
  field = "password",
): void {
  if ([...password].length > PASSWORD_MAX_LENGTH) {
    throw fail("invalid_request", `Passwords are at most ${PASSWORD_MAX_LENGTH} characters.`, {
      details: [{ field, problem: "is too long" }],
    });
  }
  const reason = weakPasswordReason(password, { minLength: config.passwordMinLength, ...owner });
  if (reason) throw fail("weak_password", reason, { details: [{ field, problem: reason }] });
}

export function accountLink(
  config: Config,
  path: "reset-password" | "verify-email",
  token: string,
): string {
  return `${config.publicUrl}/${path}?token=${token}`;
}
