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
/** `{org}` is the slug of the signed-up person's own organization. */
export const SIGNED_IN_PAGES = [
  "/home",
  "/o/{org}",
  "/o/{org}/settings/general",
  "/o/{org}/settings/members",
  "/o/{org}/settings/invite",
  "/o/{org}/settings/invitations",
  "/o/{org}/settings/audit",
  "/o/nowhere/settings/members",
  "/account/profile",
  "/account/security",
  "/account/access",
  "/account/sessions",
  "/account/activity",
];

/** A signed-in page's address, for the person whose organization is at `/o/{slug}` now. */
export function signedInPath(path: string, currentUrl: string): string {
  const slug = new URL(currentUrl).pathname.split("/")[2] ?? "nowhere";
  return path.replace("{org}", slug);
}
