import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap } from "../../lib/api";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import { useKeysetPages } from "../../lib/keyset-pages";
import { mayGrant, organizationQuery, ROLE_NAMES } from "../../lib/organization";
import { Banner } from "../../ui/Banner";
import { Button } from "../../ui/Button";
import { Card, CardList, TABLE_FROM } from "../../ui/CardList";
import { ConfirmDialog } from "../../ui/ConfirmDialog";
import { Pager } from "../../ui/Pager";
import { Cell, Column, Row, Table, TableBody, TableHeader } from "../../ui/Table";
import { toast } from "../../ui/Toast";
import { DateTime, formatDate, LoadError, Loading } from "../page";
import { InvitationLinkDialog, type RenewedLink } from "./invitation-link-dialog";
import { DELIVERY_NAMES, invitationError, invitationsKey } from "./invitation-words";

const PAGE_SIZE = 50;

type Invitation = Awaited<ReturnType<typeof listInvitations>>["items"][number];

function listInvitations(slug: string, cursor: string | undefined) {
  return unwrap(
    api.GET("/api/v1/organizations/{org}/invitations", {
      params: {
        path: { org: slug },
        query: { limit: String(PAGE_SIZE), ...(cursor ? { cursor } : {}) },
      },
    }),
  );
}

/**
 * An address that may break before its "@" where the table is narrow, so that the row's last
 * column (its actions) stays on screen.
 */
function Email({ address }: { address: string }) {
  const at = address.lastIndexOf("@");
  if (at <= 0) return <>{address}</>;
  return (
    <span className="whitespace-normal">
      <span className="whitespace-nowrap">{address.slice(0, at)}</span>
      <wbr />
      <span className="whitespace-nowrap">{address.slice(at)}</span>
    </span>
  );
}

/** The pending invitations, a page at a time, each to resend (a new link) or revoke. */
export default function InvitationsPage() {
  const { slug } = useParams({ strict: false }) as { slug: string };
  const organization = useQuery(organizationQuery(slug));
  const queryClient = useQueryClient();
  const fresh = useFresh();
  const pages = useKeysetPages(slug);
  const cursor = pages.cursor;
  const invitations = useQuery({
    queryKey: [...invitationsKey(slug), { cursor }],
    queryFn: () => listInvitations(slug, cursor),
    placeholderData: keepPreviousData,
  });
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const [renewed, setRenewed] = useState<RenewedLink | null>(null);

  const resend = useMutation({
    mutationFn: (invitation: Invitation) =>
      fresh(() =>
        unwrap(
          api.POST("/api/v1/organizations/{org}/invitations/{id}/resend", {
            params: { path: { org: slug, id: invitation.id } },
          }),
        ),
      ),
    onSuccess: ({ invitation }) => {
      if (invitation.url) {
        setRenewed({
          email: invitation.email,
          url: invitation.url,
          expiresAt: invitation.expiresAt,
        });
      } else toast(`Sent again to ${invitation.email}`);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: invitationsKey(slug) }),
  });
  const revoke = useMutation({
    mutationFn: (invitation: Invitation) =>
      fresh(() =>
        unwrap(
          api.DELETE("/api/v1/organizations/{org}/invitations/{id}", {
            params: { path: { org: slug, id: invitation.id } },
          }),
        ),
      ),
    onSuccess: (_data, invitation) => {
      setRevoking(null);
      toast(`Invitation to ${invitation.email} revoked`);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: invitationsKey(slug) }),
  });

  const myRole = organization.data?.myRole ?? "member";
  const actions = (invitation: Invitation) =>
    // An admin sees owners' invitations but may not touch them (the roles table).
    mayGrant(myRole, invitation.role) ? (
      <div className="flex gap-2">
        <Button
          variant="secondary"
          aria-label={`Resend invitation to ${invitation.email}`}
          pending={resend.isPending && resend.variables?.id === invitation.id}
          onPress={() => resend.mutate(invitation)}
        >
          Resend
        </Button>
        <Button
          variant="secondary"
          aria-label={`Revoke invitation to ${invitation.email}`}
          onPress={() => {
            revoke.reset();
            setRevoking(invitation);
          }}
        >
          Revoke
        </Button>
      </div>
    ) : null;
  const resendFailed = resend.isError && !(resend.error instanceof ReauthenticationCancelled);
  const page = invitations.data;

  return (
    <section aria-labelledby="invitations-title" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="invitations-title" className="text-lg font-semibold">
          Pending invitations
        </h2>
        <Link
          to="/o/$slug/settings/invite"
          params={{ slug }}
          className="rounded-md bg-brand-700 px-4 py-2 text-sm font-medium text-white hover:bg-brand-800"
        >
          Invite people
        </Link>
      </div>
      {resendFailed && <Banner tone="error">{invitationError(resend.error)}</Banner>}
      {invitations.isPending ? (
        <Loading what="invitations" />
      ) : invitations.isError || !page ? (
        <LoadError error={invitations.error} retry={() => void invitations.refetch()} />
      ) : page.items.length === 0 && !pages.previous ? (
        <p className="text-sm text-slate-700">
          No invitations are waiting for an answer.{" "}
          <Link
            to="/o/$slug/settings/invite"
            params={{ slug }}
            className="font-medium text-brand-700 underline"
          >
            Invite people
          </Link>{" "}
          by email or by link.
        </p>
      ) : (
        <>
          <Table aria-label="Pending invitations" className={TABLE_FROM.xl.table}>
            <TableHeader>
              <Column isRowHeader>Email</Column>
              <Column>Role</Column>
              <Column>Delivery</Column>
              <Column>Invited by</Column>
              <Column>Sent</Column>
              <Column>Expires</Column>
              <Column>
                <span className="sr-only">Actions</span>
              </Column>
            </TableHeader>
            <TableBody
              items={page.items}
              dependencies={[resend.isPending, resend.variables, myRole]}
              renderEmptyState={() => (
                <p className="px-4 py-3 text-slate-700">No more invitations on this page.</p>
              )}
            >
              {(invitation) => (
                <Row id={invitation.id}>
                  <Cell>
                    <Email address={invitation.email} />
                  </Cell>
                  <Cell>{ROLE_NAMES[invitation.role]}</Cell>
                  <Cell>{DELIVERY_NAMES[invitation.delivery]}</Cell>
                  <Cell>
                    <span className="whitespace-normal">{invitation.invitedBy.name}</span>
                  </Cell>
                  <Cell>
                    <DateTime value={invitation.createdAt} />
                  </Cell>
                  <Cell>
                    <DateTime value={invitation.expiresAt} />
                  </Cell>
                  <Cell>{actions(invitation)}</Cell>
                </Row>
              )}
            </TableBody>
          </Table>
          <CardList label="Pending invitations" tableFrom="xl">
            {page.items.map((invitation) => (
              <Card
                key={invitation.id}
                title={invitation.email}
                fields={[
                  ["Role", ROLE_NAMES[invitation.role]],
                  ["Delivery", DELIVERY_NAMES[invitation.delivery]],
                  ["Invited by", invitation.invitedBy.name],
                  ["Sent", formatDate(invitation.createdAt)],
                  ["Expires", formatDate(invitation.expiresAt)],
                ]}
                actions={actions(invitation)}
              />
            ))}
          </CardList>
          <Pager
            label="Pages of invitations"
            pages={pages}
            nextCursor={page.nextCursor}
            loading={invitations.isPlaceholderData}
          />
        </>
      )}
      <ConfirmDialog
        title="Revoke this invitation?"
        isOpen={revoking !== null}
        onOpenChange={(open) => !open && setRevoking(null)}
        confirmLabel="Revoke"
        onConfirm={() => revoking && revoke.mutate(revoking)}
        pending={revoke.isPending}
        error={
          revoke.isError && !(revoke.error instanceof ReauthenticationCancelled)
            ? invitationError(revoke.error)
            : undefined
        }
      >
        The invitation to {revoking?.email} stops working at once: its link shows that it no longer
        works. You can invite the address again later.
      </ConfirmDialog>
      <InvitationLinkDialog renewed={renewed} onClose={() => setRenewed(null)} />
    </section>
  );
}
