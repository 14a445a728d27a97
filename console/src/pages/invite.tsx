import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { api, unwrap } from "../lib/api";
import { errorMessage } from "../lib/errors";
import { LinkPage } from "./link-page";

/** The invitation as its link shows it; accepting it comes with part 2 of the console. */
export default function Invite() {
  const { token } = useParams({ strict: false }) as { token: string };
  const invitation = useQuery({
    queryKey: ["invitation", token],
    queryFn: () => unwrap(api.GET("/api/v1/invitations/{token}", { params: { path: { token } } })),
  });
  if (invitation.isPending) {
    return (
      <LinkPage title="Invitation">
        <p role="status" className="text-sm text-slate-700">
          Loading the invitation…
        </p>
      </LinkPage>
    );
  }
  if (invitation.isError) {
    return (
      <LinkPage title="This invitation no longer works">
        <p className="text-sm text-slate-700">{errorMessage(invitation.error)}</p>
        <Link to="/" className="font-medium text-brand-700 underline">
          Go to Atrium
        </Link>
      </LinkPage>
    );
  }
  const { organization, role, invitedBy, email } = invitation.data;
  return (
    <LinkPage title={`Join ${organization.name}`}>
      <p className="text-sm text-slate-700">
        {invitedBy.name} invited {email} to join {organization.name} as {role}.
      </p>
      <Link
        to="/"
        search={{ redirect: `/invite/${token}` }}
        className="font-medium text-brand-700 underline"
      >
        Sign in to accept
      </Link>
    </LinkPage>
  );
}
