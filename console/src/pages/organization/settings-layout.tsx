import { Link, Outlet, useParams } from "@tanstack/react-router";
import { mayManage } from "../../lib/organization";
import { PageTitle } from "../page";
import { OrganizationGate } from "./gate";

const TABS = [
  ["general", "General"],
  ["members", "Members"],
  ["invite", "Invite"],
  ["invitations", "Invitations"],
  ["audit", "Audit log"],
] as const;

/** The frame of an organization's management pages: its tabs, for owners and admins only. */
export default function SettingsLayout() {
  const { slug } = useParams({ strict: false }) as { slug: string };
  return (
    <OrganizationGate slug={slug}>
      {(organization) =>
        mayManage(organization.myRole) ? (
          <>
            <PageTitle description="Settings, members, invitations and the audit log.">
              Manage {organization.name}
            </PageTitle>
            <nav aria-label="Manage organization" className="mb-6 border-b border-slate-200">
              <ul className="flex flex-wrap sm:gap-1">
                {TABS.map(([section, label]) => (
                  <li key={section}>
                    <Link
                      to={`/o/$slug/settings/${section}`}
                      params={{ slug }}
                      className="block border-b-2 border-transparent px-2 py-2 text-sm font-medium whitespace-nowrap text-slate-700 hover:text-slate-900 sm:px-3"
                      activeProps={{
                        className: "border-brand-700! text-brand-800!",
                        "aria-current": "page",
                      }}
                    >
                      {label}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
            <Outlet />
          </>
        ) : (
          <>
            <PageTitle>You don't have access</PageTitle>
            <p className="text-sm text-slate-700">
              Only owners and admins of {organization.name} manage it. Ask one of them if you need a
              change.{" "}
              <Link
                to="/o/$slug"
                params={{ slug }}
                className="font-medium text-brand-700 underline"
              >
                Back to {organization.name}
              </Link>
            </p>
          </>
        )
      }
    </OrganizationGate>
  );
}
