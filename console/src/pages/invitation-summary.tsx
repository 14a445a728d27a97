import { api, unwrap } from "../lib/api";
import { formatDate } from "./page";

/** A role as people read it. */
export const ROLE_NAME = { owner: "Owner", admin: "Admin", member: "Member" } as const;

/** What an invitation's link shows before anything is decided. */
export async function fetchInvitation(token: string) {
  return unwrap(api.GET("/api/v1/invitations/{token}", { params: { path: { token } } }));
}

export type Invitation = Awaited<ReturnType<typeof fetchInvitation>>;

/** The review: organization, role, who invited, the invited address and the expiry. */
export function InvitationSummary({ invitation }: { invitation: Invitation }) {
  const rows = [
    ["Organization", invitation.organization.name],
    ["Role", ROLE_NAME[invitation.role]],
    ["Invited by", invitation.invitedBy.name],
    ["Invited email", invitation.email],
  ] as const;
  return (
    <dl className="flex flex-col gap-2 rounded-md bg-slate-50 p-4 text-sm">
      {rows.map(([term, value]) => (
        <div key={term} className="flex flex-wrap justify-between gap-x-4">
          <dt className="text-slate-700">{term}</dt>
          <dd className="font-medium break-all text-slate-900">{value}</dd>
        </div>
      ))}
      <div className="flex flex-wrap justify-between gap-x-4">
        <dt className="text-slate-700">Expires</dt>
        <dd className="font-medium text-slate-900">
          <time dateTime={invitation.expiresAt}>{formatDate(invitation.expiresAt)}</time>
        </dd>
      </div>
    </dl>
  );
}
