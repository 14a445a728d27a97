import { Link, useParams } from "@tanstack/react-router";
import { mayManage } from "../../lib/organization";
import { formatDate, PageTitle } from "../page";
import { PendingInvitations } from "../pending-invitations";
import { OrganizationGate } from "./gate";

const SECTIONS = [
  ["members", "Members", "Who belongs to the organization, and their roles."],
  ["invite", "Invite", "Invite people by email or by link."],
  ["audit", "Audit log", "Security-relevant events in the organization."],
] as const;

/** The organization's home: every query is keyed by its slug, so switching never mixes data. */
export default function OrganizationHome() {
  const { slug } = useParams({ strict: false }) as { slug: string };
  return (
    <OrganizationGate slug={slug}>
      {({ name, myRole, createdAt }) => (
        <>
          <PageTitle
            description={`You are ${myRole === "member" ? "a" : "an"} ${myRole} here. Created ${formatDate(createdAt)}.`}
          >
            {name}
          </PageTitle>
          <PendingInvitations />
          {mayManage(myRole) && (
            <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
              {SECTIONS.map(([section, title, text]) => (
                <li key={section}>
                  <Link
                    to={`/o/$slug/settings/${section}`}
                    params={{ slug }}
                    className="block h-full rounded-lg border border-slate-200 bg-white p-4 hover:border-brand-600"
                  >
                    <span className="font-medium text-brand-700">{title}</span>
                    <span className="mt-1 block text-sm text-slate-700">{text}</span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </OrganizationGate>
  );
}
