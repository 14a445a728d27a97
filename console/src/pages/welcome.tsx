import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { api, unwrap } from "../lib/api";
import { errorMessage } from "../lib/errors";
import { organizationsQuery } from "../lib/session";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { formatDate, LoadError, Loading, PageTitle } from "./page";

/** An account in no organization: says so, and lists the invitations waiting for it. */
export default function Welcome() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const invitations = useQuery({
    queryKey: ["me", "invitations"],
    queryFn: () => unwrap(api.GET("/api/v1/me/invitations")),
  });
  const accept = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/api/v1/me/invitations/{id}/accept", { params: { path: { id } } })),
    onSuccess: async (membership) => {
      await queryClient.invalidateQueries({ queryKey: organizationsQuery.queryKey });
      await navigate({ to: "/o/$slug", params: { slug: membership.organization.slug } });
    },
  });
  return (
    <>
      <PageTitle description="You are not a member of any organization yet. Accept an invitation below, or create an organization from the menu at the top.">
        No organization yet
      </PageTitle>
      {accept.isError && <Banner tone="error">{errorMessage(accept.error)}</Banner>}
      <h2 className="mt-6 mb-3 text-lg font-semibold">Pending invitations</h2>
      {invitations.isPending ? (
        <Loading what="invitations" />
      ) : invitations.isError ? (
        <LoadError error={invitations.error} retry={() => void invitations.refetch()} />
      ) : invitations.data.items.length === 0 ? (
        <p className="text-sm text-slate-700">
          No invitations are waiting for you. Ask an organization's admin to invite your address.
        </p>
      ) : (
        <ul className="flex flex-col gap-3">
          {invitations.data.items.map((invitation) => (
            <li
              key={invitation.id}
              className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-slate-200 bg-white p-4"
            >
              <span className="text-sm">
                <span className="font-medium">{invitation.organization.name}</span> —{" "}
                {invitation.role}, from {invitation.invitedBy.name}, until{" "}
                {formatDate(invitation.expiresAt)}
              </span>
              <Button
                pending={accept.isPending && accept.variables === invitation.id}
                onPress={() => accept.mutate(invitation.id)}
              >
                Accept
              </Button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
