import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { api, unwrap } from "../lib/api";
import { errorMessage } from "../lib/errors";
import { meQuery, organizationsQuery } from "../lib/session";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { LinkPage } from "./link-page";
import { SocialButtons } from "./social-sign-in";

/**
 * An invitation link: signed out, it offers to sign up (with the invitation) or sign in and come
 * back; signed in, to accept or decline.
 */
export default function Invite() {
  const { token } = useParams({ strict: false }) as { token: string };
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const me = useQuery(meQuery);
  const invitation = useQuery({
    queryKey: ["invitation", token],
    queryFn: () => unwrap(api.GET("/api/v1/invitations/{token}", { params: { path: { token } } })),
  });
  const accept = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/invitations/{token}/accept", { params: { path: { token } } })),
    onSuccess: async (membership) => {
      await queryClient.invalidateQueries({ queryKey: organizationsQuery.queryKey });
      await navigate({ to: "/o/$slug", params: { slug: membership.organization.slug } });
    },
  });
  const decline = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/invitations/{token}/decline", { params: { path: { token } } })),
  });

  if (invitation.isPending || me.isPending) {
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
        <p className="text-sm text-slate-700">
          {errorMessage(invitation.error)} Ask the person who invited you for a new link.
        </p>
        <Link to="/" className="font-medium text-brand-700 underline">
          Go to Atrium
        </Link>
      </LinkPage>
    );
  }
  if (decline.isSuccess) {
    return (
      <LinkPage title="Invitation declined">
        <p className="text-sm text-slate-700">You will not join this organization.</p>
        <Link to="/home" className="font-medium text-brand-700 underline">
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
      {(accept.isError || decline.isError) && (
        <Banner tone="error">{errorMessage(accept.error ?? decline.error)}</Banner>
      )}
      {me.data ? (
        <div className="flex flex-wrap gap-2">
          <Button pending={accept.isPending} onPress={() => accept.mutate()}>
            Accept invitation
          </Button>
          <Button variant="secondary" pending={decline.isPending} onPress={() => decline.mutate()}>
            Decline
          </Button>
        </div>
      ) : (
        <div className="flex flex-col gap-2 text-sm">
          <Link
            to="/sign-up"
            search={{ invitation: token }}
            className="font-medium text-brand-700 underline"
          >
            Sign up to accept
          </Link>
          <Link
            to="/"
            search={{ redirect: `/invite/${token}` }}
            className="font-medium text-brand-700 underline"
          >
            Sign in to accept
          </Link>
          <SocialButtons invitation={token} returnTo="/home" />
        </div>
      )}
    </LinkPage>
  );
}
