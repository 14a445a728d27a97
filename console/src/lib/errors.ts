import { ApiError } from "./api";

/** "3 minutes", "45 seconds": how long a rate-limited person waits. */
export function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** The sentence a person sees for a failed action. */
export function errorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Try again.";
  switch (error.code) {
    case "invalid_credentials":
      return "Invalid email or password.";
    case "rate_limited":
      return error.retryAfter
        ? `Too many attempts. Try again in ${waitText(error.retryAfter)}.`
        : "Too many attempts. Try again later.";
    case "signup_disabled":
      return "Sign-up on this Atrium needs an invitation. Ask an organization's admin to invite you, then use the link in the email.";
    default:
      return error.message;
  }
}

/**
 * The API's per-field problems, keyed by the form's field names: the API says `newPassword`
 * or `email`, and `aliases` maps a field the form names differently.
 */
export function fieldErrors(
  error: unknown,
  fields: readonly string[],
  aliases: Record<string, string> = {},
): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const found: Record<string, string> = {};
  for (const { field, problem } of error.details) {
    const name = aliases[field] ?? field;
    if (fields.includes(name) && !found[name]) found[name] = sentence(problem, name, error);
  }
  return found;
}

function sentence(problem: string, field: string, error: ApiError): string {
  // weak_password's problem is already a sentence; validation problems are phrases.
  if (error.code === "weak_password" || /^[A-Z]/.test(problem)) return problem;
  const label = field.replace(/([A-Z])/g, " $1").toLowerCase();
  return `The ${label} ${problem}.`;
}
