import { Link, Outlet } from "@tanstack/react-router";
import { TAB_LINK, TabNav } from "../../ui/TabNav";
import { PageTitle } from "../page";

const TABS = [
  ["/account/profile", "Profile"],
  ["/account/security", "Security"],
  ["/account/access", "Access"],
  ["/account/sessions", "Sessions"],
  ["/account/activity", "Activity"],
] as const;

export default function AccountLayout() {
  return (
    <>
      <PageTitle>Account settings</PageTitle>
      <TabNav label="Account settings">
        {TABS.map(([to, label]) => (
          <li key={to}>
            <Link to={to} {...TAB_LINK}>
              {label}
            </Link>
          </li>
        ))}
      </TabNav>
      <Outlet />
    </>
  );
}
