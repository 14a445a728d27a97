import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useId, useRef } from "react";
import { api, unwrap } from "../lib/api";
import { errorMessage } from "../lib/errors";
import { ROLE_NAMES } from "../lib/organization";
import { organizationsQuery } from "../lib/session";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { toast } from "../ui/Toast";
import { formatDate, LoadError, Loading } from "./page";

async function fetchMyInvitations() {
  return (await unwrap(api.GET("/api/v1/me/invitations"))).items;
}

export type MyInvitation = Awaited<ReturnType<typeof fetchMyInvitations>>[number];

/** The signed-in account's pending invitations (the server lists them once its email is verified). */
export const myInvitationsQuery = queryOptions({
  queryKey: ["me", "invitations"],
  queryFn: fetchMyInvitations,
  staleTime: 30_000,
});

/**
 * Accept (landing in the organization) and Decline for the account's own invitations. Both
 * refresh the invitations and the organizations, wherever they are shown.
 */
export function useAnswerInvitation(onDone?: () => void) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: myInvitationsQuery.queryKey }),
      queryClient.invalidateQueries({ queryKey: organizationsQuery.queryKey }),
    ]);
  const accept = useMutation({
    mutationFn: (invitation: MyInvitation) =>
      unwrap(
        api.POST("/api/v1/me/invitations/{id}/accept", { params: { path: { id: invitation.id } } }),
      ),
    onSuccess: async (membership) => {
      await refresh();
      onDone?.();
      toast(`You joined ${membership.organization.name}.`);
      await navigate({ to: "/o/$slug", params: { slug: membership.organization.slug } });
    },
  });
  const decline = useMutation({
    mutationFn: (invitation: MyInvitation) =>
      unwrap(
        api.POST("/api/v1/me/invitations/{id}/decline", {
          params: { path: { id: invitation.id } },
        }),
      ),
    onSuccess: async (_, invitation) => {
      await refresh();
      onDone?.();
      toast(`You declined the invitation to ${invitation.organization.name}.`);
    },
  });
  const error = accept.error ?? decline.error;
  return {
    accept,
    decline,
    error: error ? errorMessage(error) : null,
    accepting: (invitation: MyInvitation) =>
      accept.isPending && accept.variables?.id === invitation.id,
    declining: (invitation: MyInvitation) =>
      decline.isPending && decline.variables?.id === invitation.id,
    /** Forgets the last answer's error (a dialog opened again starts clean). */
    reset: () => {
      accept.reset();
      decline.reset();
    },
  };
}

/** "Member, invited by Ada Lovelace, until 3 Dec 2026" */
export function invitationDetails(invitation: MyInvitation): string {
  return `${ROLE_NAMES[invitation.role]}, invited by ${invitation.invitedBy.name}, until ${formatDate(invitation.expiresAt)}`;
}

/**
 * The account's pending invitations, each with Accept and Decline. `whenEmpty` is what to say
 * when there is none; without it, the section is left out.
 */
export function PendingInvitations({ whenEmpty }: { whenEmpty?: string }) {
  const invitations = useQuery(myInvitationsQuery);
  // After a decline the item goes: focus moves to the section's heading, not to the page's top.
  const heading = useRef<HTMLHeadingElement>(null);
  const { accept, decline, error, accepting, declining } = useAnswerInvitation(() =>
    heading.current?.focus(),
  );
  if (!whenEmpty && (invitations.data?.length ?? 0) === 0 && !invitations.isError) return null;
  return (
    <section aria-labelledby="pending-invitations" className="mb-8">
      <h2
        id="pending-invitations"
        ref={heading}
        tabIndex={-1}
        className="mb-3 text-lg font-semibold text-slate-900 outline-none"
      >
        Pending invitations
      </h2>
      {error && (
        <div className="mb-3">
          <Banner tone="error">{error}</Banner>
        </div>
      )}
      {invitations.isPending ? (
        <Loading what="invitations" />
      ) : invitations.isError ? (
        <LoadError error={invitations.error} retry={() => void invitations.refetch()} />
      ) : invitations.data.length === 0 ? (
        <p className="text-sm text-slate-700">{whenEmpty}</p>
      ) : (
        <ul className="flex flex-col gap-3">
          {invitations.data.map((invitation) => (
            <InvitationItem
              key={invitation.id}
              invitation={invitation}
              accepting={accepting(invitation)}
              declining={declining(invitation)}
              onAccept={() => accept.mutate(invitation)}
              onDecline={() => decline.mutate(invitation)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function InvitationItem({
  invitation,
  accepting,
  declining,
  onAccept,
  onDecline,
}: {
  invitation: MyInvitation;
  accepting: boolean;
  declining: boolean;
  onAccept: () => void;
  onDecline: () => void;
}) {
  const id = useId();
  return (
    <li
      aria-labelledby={`${id}-name`}
      className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <div className="min-w-0 text-sm">
        <p id={`${id}-name`} className="font-medium text-slate-900">
          {invitation.organization.name}
        </p>
        <p id={`${id}-details`} className="text-slate-700">
          {invitationDetails(invitation)}
        </p>
      </div>
      {/* Disabled rather than pending while answering: the item goes on success, and a pending
          button that disappears leaves its announcement pointing at nothing. */}
      <div className="flex gap-2">
        <Button
          isDisabled={accepting || declining}
          aria-describedby={`${id}-name`}
          onPress={onAccept}
        >
          Accept
        </Button>
        <Button
          variant="secondary"
          isDisabled={accepting || declining}
          aria-describedby={`${id}-name`}
          onPress={onDecline}
        >
          Decline
        </Button>
      </div>
    </li>
  );
}
