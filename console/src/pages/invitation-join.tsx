import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { Tab, TabList, TabPanel, Tabs } from "react-aria-components";
import { reloadMe } from "../lib/session";
import { InvitationEmailField } from "./invitation-email";
import type { Invitation } from "./invitation-summary";
import { SignInForm } from "./sign-in";
import { SignUpForm } from "./sign-up";
import { SocialButtons } from "./social-sign-in";

/**
 * Keeps only the signed-in state and this invitation in the cache: nothing of another account
 * survives a change of account, while the page's own queries stay observed.
 */
export function keepOnlyInvitation(queryClient: QueryClient, token: string): void {
  queryClient.removeQueries({
    predicate: ({ queryKey }) =>
      !(
        (queryKey.length === 1 && queryKey[0] === "me") ||
        (queryKey[0] === "invitation" && queryKey[1] === token)
      ),
  });
}

const TAB =
  "flex-1 cursor-default rounded px-3 py-1.5 text-center text-sm font-medium text-slate-700 outline-none data-[focus-visible]:ring-2 data-[focus-visible]:ring-brand-700 data-[selected]:bg-white data-[selected]:text-slate-900 data-[selected]:shadow-sm";

/**
 * Signed out on an invitation: create an account (which accepts at once and lands in the
 * organization) or sign in (which comes back to the review), the email fixed to the invited one.
 */
export function JoinForms({ token, invitation }: { token: string; invitation: Invitation }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const organization = invitation.organization.name;
  // Kept out of the sign-in page's code, which has a weight budget.
  const fixedEmail = {
    email: invitation.email,
    field: <InvitationEmailField email={invitation.email} />,
  };
  return (
    <>
      <Tabs defaultSelectedKey="sign-up" className="flex flex-col gap-4">
        <TabList
          aria-label="Your account"
          className="flex gap-1 rounded-md border border-slate-200 bg-slate-100 p-1"
        >
          <Tab id="sign-up" className={TAB}>
            Create account
          </Tab>
          <Tab id="sign-in" className={TAB}>
            Sign in
          </Tab>
        </TabList>
        <TabPanel id="sign-up" className="flex flex-col gap-4 outline-none">
          <p className="text-sm text-slate-700">
            New to Atrium? Create your account and you join {organization} at once.
          </p>
          <SignUpForm
            invitation={token}
            fixedEmail={fixedEmail}
            onSignedUp={async (_user, joinedSlug) => {
              queryClient.clear();
              await reloadMe(queryClient);
              await navigate({ href: joinedSlug ? `/o/${joinedSlug}` : "/home" });
            }}
          />
        </TabPanel>
        <TabPanel id="sign-in" className="flex flex-col gap-4 outline-none">
          <p className="text-sm text-slate-700">
            Already have an account? Sign in, then accept the invitation.
          </p>
          <SignInForm
            fixedEmail={fixedEmail}
            onSignedIn={async () => {
              keepOnlyInvitation(queryClient, token);
              await reloadMe(queryClient);
            }}
          />
        </TabPanel>
      </Tabs>
      {/* The token goes to the provider flow as `invitation` (stored hashed), never in the
          return path, which is stored and logged as it is: a sign-up lands in the organization
          it joined, a sign-in on the home page, where the invitation waits with Accept. */}
      <SocialButtons invitation={token} returnTo="/home" />
    </>
  );
}
