import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import { api, unwrap } from "../lib/api";
import { formatDate, LoadError, Loading, PageTitle } from "./page";

const SECTIONS = [
  ["members", "Members", "Who belongs to the organization, and their roles."],
  ["invitations", "Invitations", "Invite people by email or by link."],
  ["audit", "Audit log", "Security-relevant events in the organization."],
] as const;

/** The organization's home: every query is keyed by its slug, so switching never mixes data. */
export default function OrganizationHome() {
  const { slug } = useParams({ strict: false }) as { slug: string };
  const organization = useQuery({
    queryKey: ["organization", slug],
    queryFn: () =>
      unwrap(api.GET("/api/v1/organizations/{org}", { params: { path: { org: slug } } })),
  });
  if (organization.isPending) return <Loading what="the organization" />;
  if (organization.isError) {
    return (
      <>
        <PageTitle>Organization not available</PageTitle>
        <LoadError error={organization.error} retry={() => void organization.refetch()} />
      </>
    );
  }
  const { name, myRole, createdAt } = organization.data;
  return (
    <>
      <PageTitle
        description={`You are ${myRole === "member" ? "a" : "an"} ${myRole} here. Created ${formatDate(createdAt)}.`}
      >
        {name}
      </PageTitle>
      <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {SECTIONS.map(([section, title, text]) => (
          <li key={section}>
            <Link
              to="/o/$slug/$section"
              params={{ slug, section }}
              className="block h-full rounded-lg border border-slate-200 bg-white p-4 hover:border-brand-600"
            >
              <span className="font-medium text-brand-700">{title}</span>
              <span className="mt-1 block text-sm text-slate-700">{text}</span>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
