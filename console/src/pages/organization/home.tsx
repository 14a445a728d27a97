import { useQuery, useSuspenseQuery } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { api, unwrap } from "../../lib/api";
import { mayManage } from "../../lib/organization";
import { meQuery } from "../../lib/session";
import { Button } from "../../ui/Button";
import { formatDate, PageTitle } from "../page";
import { PendingInvitations } from "../pending-invitations";
import { type Organization, OrganizationGate } from "./gate";
import { useMemberChanges } from "./members-changes";

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
      {(organization) => (
        <>
          <PageTitle
            description={`You are ${organization.myRole === "member" ? "a" : "an"} ${organization.myRole} here. Created ${formatDate(organization.createdAt)}.`}
          >
            {organization.name}
          </PageTitle>
          <PendingInvitations />
          {mayManage(organization.myRole) && (
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
          <LeaveOrganization organization={organization} slug={slug} />
        </>
      )}
    </OrganizationGate>
  );
}

/** Leaving is for everyone, members included, who have no management pages. */
function LeaveOrganization({ organization, slug }: { organization: Organization; slug: string }) {
  const { data: me } = useSuspenseQuery(meQuery);
  const changes = useMemberChanges(organization, slug);
  // The viewer's own membership, found by their address among the organization's members.
  const mine = useQuery({
    queryKey: ["organization", slug, "members", "mine"],
    queryFn: async () => {
      const page = await unwrap(
        api.GET("/api/v1/organizations/{org}/members", {
          params: {
            path: { org: slug },
            // The API searches by at most 100 characters; the match is made by id below.
            query: { q: (me?.email ?? "").slice(0, 100), limit: "50" },
          },
        }),
      );
      return page.items.find((member) => member.user.id === me?.id) ?? null;
    },
    enabled: !!me,
  });
  if (!mine.data) return null;
  const member = mine.data;
  return (
    <section aria-labelledby="leave" className="mt-10 flex flex-col items-start gap-2">
      <h2 id="leave" className="text-lg font-semibold">
        Leave {organization.name}
      </h2>
      <p className="text-sm text-slate-700">
        You lose access at once; coming back needs a new invitation.
      </p>
      <Button variant="secondary" onPress={() => changes.leave(member)}>
        Leave organization
      </Button>
      {changes.dialogs}
    </section>
  );
}
