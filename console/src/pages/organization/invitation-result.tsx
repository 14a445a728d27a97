import { ROLE_NAMES, type Role } from "../../lib/organization";
import { CopyButton } from "../../ui/CopyButton";
import { formatDate } from "../page";
import { refusalReason } from "./invitation-words";

/** The API's answer to one invite request, and how it was to be delivered. */
export interface InviteAnswer {
  delivery: "email" | "link";
  invitations: Array<{ id: string; email: string; role: Role; expiresAt: string; url?: string }>;
  rejected: Array<{ email: string; code: string }>;
}

/** The answer address by address: who was invited (with their links), and why the others were not. */
export function InviteResult({
  slug,
  answer,
  allowedDomains,
}: {
  slug: string;
  answer: InviteAnswer;
  allowedDomains: string[];
}) {
  const { invitations, rejected, delivery } = answer;
  return (
    <section aria-labelledby="invite-result" className="flex max-w-3xl flex-col gap-6">
      <div className="flex flex-col gap-1">
        <h2 id="invite-result" className="text-lg font-semibold">
          Result
        </h2>
        <p role="status" className="text-sm text-slate-700">
          {invitations.length} invited, {rejected.length} not invited.
          {rejected.length > 0 && " The addresses not invited are back in the box, to correct."}
        </p>
      </div>
      {invitations.length > 0 && (
        <section aria-labelledby="invite-invited" className="flex flex-col gap-2">
          <h3 id="invite-invited" className="font-semibold text-slate-900">
            Invited
          </h3>
          {delivery === "link" && (
            <p className="text-sm text-slate-700">
              Send each person their own link: it works once, for that address only.
            </p>
          )}
          <ul
            aria-labelledby="invite-invited"
            className="flex flex-col divide-y divide-slate-200 rounded-md border border-slate-200 bg-white"
          >
            {invitations.map((invitation) => (
              <li key={invitation.id} className="flex flex-col gap-2 p-4 text-sm">
                <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
                  <span className="font-medium break-words text-slate-900">{invitation.email}</span>
                  <span className="text-slate-700">
                    {ROLE_NAMES[invitation.role]} · {invitation.url ? "link" : "email sent"} ·
                    expires {formatDate(invitation.expiresAt)}
                  </span>
                </div>
                {invitation.url && (
                  <div className="flex flex-wrap items-center gap-2">
                    <code className="min-w-0 flex-1 basis-64 rounded-md border border-slate-300 bg-slate-100 px-3 py-2 break-all text-slate-900">
                      {invitation.url}
                    </code>
                    <CopyButton
                      text={invitation.url}
                      aria-label={`Copy link for ${invitation.email}`}
                    />
                  </div>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      {rejected.length > 0 && (
        <section aria-labelledby="invite-refused" className="flex flex-col gap-2">
          <h3 id="invite-refused" className="font-semibold text-slate-900">
            Not invited
          </h3>
          <ul
            aria-labelledby="invite-refused"
            className="flex flex-col divide-y divide-slate-200 rounded-md border border-slate-200 bg-white"
          >
            {rejected.map((refusal, index) => (
              <li
                // biome-ignore lint/suspicious/noArrayIndexKey: an address listed thrice is refused twice alike; the list never reorders.
                key={index}
                className="flex flex-col gap-1 p-4 text-sm sm:flex-row sm:gap-3"
              >
                <span className="font-medium break-words text-slate-900 sm:min-w-56">
                  {refusal.email}
                </span>
                <span className="text-slate-700">
                  {refusalReason(refusal.code, slug, allowedDomains)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
