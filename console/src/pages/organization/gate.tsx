import { useQuery } from "@tanstack/react-query";
import { Link, useLocation } from "@tanstack/react-router";
import type { ReactNode } from "react";
import { ApiError, type components } from "../../lib/api";
import { organizationQuery } from "../../lib/organization";
import { LoadError, Loading, PageTitle } from "../page";

export type Organization = components["schemas"]["Organization"];

/**
 * Loads the organization in the address and hands it on; says so when there is none (or the
 * account is not in it: the API answers both alike), and where it went when its slug changed.
 */
export function OrganizationGate({
  slug,
  children,
}: {
  slug: string;
  children: (organization: Organization) => ReactNode;
}) {
  // Asked again on each visit: a member removed a moment ago must not see the cached copy.
  const organization = useQuery({ ...organizationQuery(slug), refetchOnMount: "always" });
  const { pathname, searchStr } = useLocation();
  if (organization.isPending) return <Loading what="the organization" />;
  if (organization.isError) {
    if (organization.error instanceof ApiError && organization.error.status === 404) {
      return (
        <>
          <PageTitle>Organization not found</PageTitle>
          <p className="text-sm text-slate-700">
            There is no organization at this address, or you are not a member of it.{" "}
            <Link to="/home" className="font-medium text-brand-700 underline">
              Go to your organizations
            </Link>
          </p>
        </>
      );
    }
    return (
      <>
        <PageTitle>Organization not available</PageTitle>
        <LoadError error={organization.error} retry={() => void organization.refetch()} />
      </>
    );
  }
  const found = organization.data;
  if (found.slug !== slug) {
    // The same page and filters, at the new address.
    const moved = pathname.replace(`/o/${slug}`, `/o/${found.slug}`) + searchStr;
    return (
      <>
        <PageTitle>{found.name} has moved</PageTitle>
        <p className="text-sm text-slate-700">
          Its address is now{" "}
          <Link to={moved} className="font-medium text-brand-700 underline">
            {moved}
          </Link>
          . Update your bookmarks and links.
        </p>
      </>
    );
  }
  return <>{children(found)}</>;
}
