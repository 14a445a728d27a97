import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { useState } from "react";
import { ApiError } from "../lib/api";
import { errorMessage } from "../lib/errors";
import { meQuery } from "../lib/session";
import { Button } from "../ui/Button";
import { sameEmail } from "./invitation-email";
import { JoinForms } from "./invitation-join";
import { InvitationForSomeoneElse, RespondToInvitation } from "./invitation-respond";
import { fetchInvitation, InvitationSummary } from "./invitation-summary";
import { LinkPage } from "./link-page";

/**
 * An invitation link. It always shows the review first; then, by who is looking: Accept or
 * Decline (the invited address, signed in), a way to sign out (another address), or the
 * sign-up and sign-in forms with the address fixed (signed out). It never accepts by itself
 * after a sign-in; a sign-up from the link accepts, as the person chose to join.
 */
export default function Invite() {
  const { token } = useParams({ strict: false }) as { token: string };
  const me = useQuery(meQuery);
  const invitation = useQuery({
    queryKey: ["invitation", token],
    queryFn: () => fetchInvitation(token),
  });
  const [declined, setDeclined] = useState(false);

  if (invitation.isPending || me.isPending) {
    return (
      <LinkPage title="Invitation">
        <p role="status" className="text-sm text-slate-700">
          Loading the invitation…
        </p>
      </LinkPage>
    );
  }
  if (declined) {
    return (
      <LinkPage title="Invitation declined">
        <p className="text-sm text-slate-700">You will not join this organization.</p>
        <Link to="/home" className="font-medium text-brand-700 underline">
          Go to Atrium
        </Link>
      </LinkPage>
    );
  }
  if (invitation.isError) {
    return (
      <UnusableInvitation
        error={invitation.error}
        signedIn={!!me.data}
        retry={() => void invitation.refetch()}
      />
    );
  }
  const data = invitation.data;
  return (
    <LinkPage title={`Join ${data.organization.name}`}>
      <InvitationSummary invitation={data} />
      {!me.data ? (
        <JoinForms token={token} invitation={data} />
      ) : sameEmail(me.data.email, data.email) ? (
        <RespondToInvitation token={token} me={me.data} onDeclined={() => setDeclined(true)} />
      ) : (
        <InvitationForSomeoneElse token={token} me={me.data} invitation={data} />
      )}
    </LinkPage>
  );
}

/** Expired, or used, revoked, replaced, declined or unknown (the API tells only expiry apart). */
function UnusableInvitation({
  error,
  signedIn,
  retry,
}: {
  error: Error;
  signedIn: boolean;
  retry: () => void;
}) {
  const gone = error instanceof ApiError && error.status === 404;
  const home = (
    <Link to={signedIn ? "/home" : "/"} className="font-medium text-brand-700 underline">
      {signedIn ? "Go to your organizations" : "Go to Atrium"}
    </Link>
  );
  if (error instanceof ApiError && error.code === "invitation_expired") {
    return (
      <LinkPage title="This invitation has expired">
        <p className="text-sm text-slate-700">
          Invitations are valid for a limited time, and this one has run out. Ask the person who
          invited you to send a new invitation.
        </p>
        {home}
      </LinkPage>
    );
  }
  if (gone) {
    return (
      <LinkPage title="This invitation no longer works">
        <p className="text-sm text-slate-700">
          The link has already been used, was revoked or replaced by a newer invitation, or was
          declined. Ask the person who invited you for a new link.
        </p>
        {home}
      </LinkPage>
    );
  }
  return (
    <LinkPage title="Invitation">
      <p role="alert" className="text-sm text-slate-700">
        {errorMessage(error)}
      </p>
      <Button variant="secondary" onPress={retry}>
        Try again
      </Button>
    </LinkPage>
  );
}
