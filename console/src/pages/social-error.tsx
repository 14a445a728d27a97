import { Link, useSearch } from "@tanstack/react-router";
import { LinkPage } from "./link-page";

/** What each reason a social sign-in ended means to the person, and what to do next. */
const MESSAGES: Record<string, string> = {
  invalid_state:
    "This sign-in attempt expired, was already used, or was started in another browser. Start again.",
  oauth_error: "The provider did not complete the sign-in. Try again, or use another way in.",
  invalid_response: "The provider's answer could not be verified, so nothing was done. Try again.",
  unavailable: "The provider could not be reached. Try again in a moment.",
  account_disabled: "This account is disabled.",
  link_required:
    "An account with this email address already exists. Sign in with its password, then connect this provider from your account settings.",
  email_required: "The provider did not share an email address, which a new account needs.",
  email_not_verified:
    "Your provider does not say that your email address is verified. Verify it with the provider and try again, or sign up with an email and password.",
  identity_taken: "This provider account is already connected to another Atrium account.",
  identity_not_linked:
    "This provider account is not connected to the account you are signed in to.",
  signup_disabled: "New accounts need an invitation on this instance.",
  invitation_email_mismatch:
    "The invitation was sent to another address than the one your provider shares.",
  invitation_expired: "This invitation has expired; ask for a new one.",
  invitation_invalid: "This invitation is no longer valid.",
  domain_not_allowed: "This organization does not accept members from your email domain.",
  session_not_fresh:
    "Confirm it's you first: sign in again, or confirm your password in account settings.",
  unauthenticated: "Sign in first, then try again.",
  forbidden: "This cannot be done from here.",
  rate_limited: "Too many attempts. Wait a few minutes and try again.",
};

export default function SocialError() {
  const { reason, intent } = useSearch({ strict: false }) as { reason?: string; intent?: string };
  const message = (reason && MESSAGES[reason]) || MESSAGES.oauth_error;
  const signedInFlow = intent === "link" || intent === "reauthenticate";
  return (
    <LinkPage title="Signing in with the provider did not work">
      <p role="alert" className="text-sm text-slate-700">
        {message}
      </p>
      {signedInFlow ? (
        <Link to="/account/security" className="font-medium text-brand-700 underline">
          Back to account settings
        </Link>
      ) : (
        <Link to="/" className="font-medium text-brand-700 underline">
          Back to sign in
        </Link>
      )}
    </LinkPage>
  );
}
