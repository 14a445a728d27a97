import { api, unwrap } from "../lib/api";
import { ROLE_NAMES } from "../lib/organization";
import { formatDate } from "./page";

/** What an invitation's link shows before anything is decided. */
export async function fetchInvitation(token: string) {
  return unwrap(api.GET("/api/v1/invitations/{token}", { params: { path: { token } } }));
}

export type Invitation = Awaited<ReturnType<typeof fetchInvitation>>;

/** The review: organization, role, who invited, the invited address and the expiry. */
export function InvitationSummary({ invitation }: { invitation: Invitation }) {
  const rows = [
    ["Organization", invitation.organization.name],
    ["Role", ROLE_NAMES[invitation.role]],
    ["Invited by", invitation.invitedBy.name],
    ["Invited email", invitation.email],
  ] as const;
  const row = "grid grid-cols-[6.5rem_minmax(0,1fr)] gap-x-3";
  return (
    <dl className="flex flex-col gap-2 rounded-md bg-slate-50 p-4 text-sm">
      {rows.map(([term, value]) => (
        <div key={term} className={row}>
          <dt className="text-slate-700">{term}</dt>
          <dd className="font-medium [overflow-wrap:anywhere] text-slate-900">{value}</dd>
        </div>
      ))}
      <div className={row}>
        <dt className="text-slate-700">Expires</dt>
        <dd className="font-medium text-slate-900">
          <time dateTime={invitation.expiresAt}>{formatDate(invitation.expiresAt)}</time>
        </dd>
      </div>
    </dl>
  );
}
