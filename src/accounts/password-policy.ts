import { dictionary } from "@zxcvbn-ts/language-common";

/** The longest password accepted; longer input is refused before any hashing (contract). */
export const PASSWORD_MAX_LENGTH = 1024;

// About 30,000 of the most common passwords from breach corpora, bundled with the package.
const COMMON_PASSWORDS = new Set(
  (dictionary["passwords-common"] as string[]).map((word) => word.toLowerCase()),
);

const codePoints = (text: string) => [...text].length;

function normalise(text: string): string {
  return text.normalize("NFKC").toLowerCase();
}

/**
 * Why a new password is refused, or undefined when it is acceptable. No composition rules
 * (NIST SP 800-63B): length, a list of common passwords, and not the user's own email or name.
 */
export function weakPasswordReason(
  password: string,
  context: { minLength: number; email: string; name: string },
): string | undefined {
  const length = codePoints(password);
  if (length < context.minLength) {
    return `Password must be at least ${context.minLength} characters long.`;
  }
  const folded = normalise(password);
  // "password1!" is as common as "password": strip a short trailing run of digits and symbols.
  const stem = folded.replace(/[0-9\p{P}\p{S}]{1,4}$/u, "");
  if (COMMON_PASSWORDS.has(folded) || (stem.length >= 6 && COMMON_PASSWORDS.has(stem))) {
    return "Password is too common: it appears in lists of leaked passwords.";
  }
  if (new Set(password).size === 1) return "Password must not repeat one character.";
  const email = normalise(context.email.trim());
  const localPart = email.split("@")[0] ?? "";
  const name = normalise(context.name.trim());
  if (
    folded === email ||
    folded === localPart ||
    (localPart.length >= 4 && folded.includes(localPart))
  ) {
    return "Password must not contain your email address.";
  }
  const compactName = name.replace(/\s+/g, "");
  if (
    folded === name ||
    folded === compactName ||
    (compactName.length >= 4 && folded.replace(/\s+/g, "").includes(compactName))
  ) {
    return "Password must not contain your name.";
  }
  return undefined;
}
