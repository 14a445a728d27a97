import { Link, Outlet } from "@tanstack/react-router";
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
      {/* The five tabs fit a phone's width; should a font make them wider, they wrap rather
          than hide the last one behind a scroll. */}
      <nav aria-label="Account settings" className="mb-6 border-b border-slate-200">
        <ul className="flex flex-wrap sm:gap-1">
          {TABS.map(([to, label]) => (
            <li key={to}>
              <Link
                to={to}
                className="block border-b-2 border-transparent px-2 py-2 text-sm sm:px-3 font-medium whitespace-nowrap text-slate-700 hover:text-slate-900"
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
  );
}
