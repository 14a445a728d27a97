import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { ApiError, api, type components, unwrap } from "../lib/api";
import { errorMessage } from "../lib/errors";
import { meQuery, organizationsQuery } from "../lib/session";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { keepOnlyInvitation } from "./invitation-join";
import type { Invitation } from "./invitation-summary";

type User = components["schemas"]["User"];

/** Signed in with the invited address: Accept (landing in the organization) or Decline. */
export function RespondToInvitation({
  token,
  me,
  onDeclined,
}: {
  token: string;
  me: User;
  onDeclined: () => void;
}) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const path = { params: { path: { token } } };
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: organizationsQuery.queryKey }),
      queryClient.invalidateQueries({ queryKey: ["me", "invitations"] }),
    ]);
  const accept = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/invitations/{token}/accept", path)),
    onSuccess: async (membership) => {
      await refresh();
      await navigate({ to: "/o/$slug", params: { slug: membership.organization.slug } });
    },
  });
  const decline = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/invitations/{token}/decline", path)),
    onSuccess: async () => {
      await refresh();
      onDeclined();
    },
  });
  const error = accept.error ?? decline.error;
  const unverified = error instanceof ApiError && error.code === "email_not_verified";
  return (
    <>
      <p className="text-sm text-slate-700">
        Signed in as <span className="font-medium text-slate-900">{me.email}</span>.
      </p>
      {unverified ? (
        <VerifyFirst email={me.email} />
      ) : (
        error && <Banner tone="error">{errorMessage(error)}</Banner>
      )}
      {(accept.isPending || decline.isPending) && (
        <p role="status" className="text-sm text-slate-700">
          {accept.isPending ? "Joining…" : "Declining…"}
        </p>
      )}
      {/* Disabled rather than pending: the page changes on success, and a pending button that
          disappears leaves its announcement pointing at nothing. */}
      <div className="flex flex-wrap gap-2">
        <Button isDisabled={accept.isPending || decline.isPending} onPress={() => accept.mutate()}>
          Accept
        </Button>
        <Button
          variant="secondary"
          isDisabled={accept.isPending || decline.isPending}
          onPress={() => decline.mutate()}
        >
          Decline
        </Button>
      </div>
    </>
  );
}

/** Accepting needs a verified address: says so, and sends the link again on request. */
function VerifyFirst({ email }: { email: string }) {
  const resend = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/me/email-verification")),
  });
  return (
    <Banner tone="warning">
      <span>
        Verify your email address before accepting: open the link we sent to {email}, then press
        Accept again.
      </span>
      {resend.isSuccess && <span className="font-medium">We sent a new link to {email}.</span>}
      {resend.isError && <span>{errorMessage(resend.error)}</span>}
      {/* Kept mounted: a pending button that disappears leaves its announcement pointing at
          nothing (axe: role-img-alt). */}
      <Button variant="secondary" pending={resend.isPending} onPress={() => resend.mutate()}>
        Resend verification link
      </Button>
    </Banner>
  );
}

/** Signed in with another address: the invitation is not for this account. */
export function InvitationForSomeoneElse({
  token,
  me,
  invitation,
}: {
  token: string;
  me: User;
  invitation: Invitation;
}) {
  const queryClient = useQueryClient();
  const signOut = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/sign-out")),
    onSuccess: () => {
      // The page stays, signed out: the other account's data goes, the invitation stays.
      keepOnlyInvitation(queryClient, token);
      queryClient.setQueryData(meQuery.queryKey, null);
    },
  });
  return (
    <>
      <Banner tone="warning">
        <span>
          This invitation is for <strong className="break-all">{invitation.email}</strong>, but you
          are signed in as <strong className="break-all">{me.email}</strong>.
        </span>
      </Banner>
      <p className="text-sm text-slate-700">
        To accept it, sign out and continue as {invitation.email}.
      </p>
      {signOut.isError && <Banner tone="error">{errorMessage(signOut.error)}</Banner>}
      <Button isDisabled={signOut.isPending} onPress={() => signOut.mutate()}>
        Sign out and continue
      </Button>
    </>
  );
}
