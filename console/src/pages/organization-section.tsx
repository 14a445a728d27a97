import { Link, useParams } from "@tanstack/react-router";
import { PageTitle } from "./page";

const TITLES: Record<string, string> = {
  members: "Members",
  invitations: "Invitations",
  audit: "Audit log",
  settings: "Organization settings",
};

/** Organization pages arrive with part 2 of the console; the address already loads. */
export default function OrganizationSection() {
  const { slug, section } = useParams({ strict: false }) as { slug: string; section: string };
  return (
    <>
      <PageTitle>{TITLES[section] ?? "Page not found"}</PageTitle>
      <p className="text-sm text-slate-700">
        This page is not in the console yet; the API offers it today.{" "}
        <Link to="/o/$slug" params={{ slug }} className="text-brand-700 underline">
          Back to the organization
        </Link>
      </p>
    </>
  );
}
