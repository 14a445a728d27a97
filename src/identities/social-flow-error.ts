/**
 * Why a social sign-in flow ended without signing in or linking. Start and callback answer
 * with redirects, so the reason travels to the console's page as a query parameter; it is a
 * code, never a message from the provider.
 */
export type SocialFailure =
  | "invalid_state"
  | "oauth_error"
  | "invalid_response"
  | "unavailable"
  | "account_disabled"
  | "link_required"
  | "email_required"
  | "email_not_verified"
  | "identity_taken"
  | "identity_not_linked"
  | "signup_disabled"
  | "invitation_email_mismatch"
  | "invitation_expired"
  | "invitation_invalid"
  | "domain_not_allowed"
  | "session_not_fresh"
  | "unauthenticated"
  | "forbidden"
  | "rate_limited";

export class SocialFlowError extends Error {
  override name = "SocialFlowError";
  constructor(
    readonly reason: SocialFailure,
    message: string,
  ) {
    super(message);
  }
}

export function socialFail(reason: SocialFailure, message: string): SocialFlowError {
  return new SocialFlowError(reason, message);
}
