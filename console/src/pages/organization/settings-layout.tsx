import { Link, Outlet, useParams } from "@tanstack/react-router";
import { mayManage } from "../../lib/organization";
import { TAB_LINK, TabNav } from "../../ui/TabNav";
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
            <TabNav label="Manage organization">
              {TABS.map(([section, label]) => (
                <li key={section}>
                  <Link to={`/o/$slug/settings/${section}`} params={{ slug }} {...TAB_LINK}>
                    {label}
                  </Link>
                </li>
              ))}
            </TabNav>
            {/* Keyed by the organization: a page kept on screen while the next one loads
                (placeholder data) must never carry one organization's rows into another. */}
            <Outlet key={slug} />
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
