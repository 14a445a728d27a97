/** Every page the console has, signed out and signed in (the axe run and the screenshots). */
export const SIGNED_OUT_PAGES = [
  "/",
  "/sign-up",
  "/forgot-password",
  "/reset-password?token=x",
  "/verify-email?token=x",
  "/invite/x",
  "/social-error?reason=email_not_verified",
];
export const SIGNED_IN_PAGES = [
  "/home",
  "/o/nowhere/settings/members",
  "/account/profile",
  "/account/security",
  "/account/access",
  "/account/sessions",
  "/account/activity",
];
