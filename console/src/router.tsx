import type { QueryClient } from "@tanstack/react-query";
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Outlet,
  redirect,
} from "@tanstack/react-router";
import { lastOrganization, meQuery, organizationsQuery, safeRedirect } from "./lib/session";

interface Context {
  queryClient: QueryClient;
}

type Search = Record<string, unknown>;

/** The named search parameters that are non-empty strings; anything else in the address is dropped. */
function strings<K extends string>(...keys: K[]) {
  return (search: Search) =>
    Object.fromEntries(
      keys.flatMap((key) =>
        typeof search[key] === "string" && search[key] ? [[key, search[key]]] : [],
      ),
    ) as Partial<Record<K, string>>;
}

/** Where a signed-in person goes by default: their first organization, or the no-org page. */
async function landing(queryClient: QueryClient): Promise<string> {
  const organizations = await queryClient.ensureQueryData(organizationsQuery);
  const last = lastOrganization();
  const chosen = organizations.find((o) => o.organization.slug === last) ?? organizations[0];
  return chosen ? `/o/${chosen.organization.slug}` : "/welcome";
}

const root = createRootRouteWithContext<Context>()({
  component: Outlet,
  notFoundComponent: lazyRouteComponent(() => import("./pages/not-found")),
});

/** Pages for people who are signed out: a signed-in visitor goes on to their organization. */
const signedOut = createRoute({
  getParentRoute: () => root,
  id: "signed-out",
  component: lazyRouteComponent(() => import("./pages/signed-out-layout")),
  beforeLoad: async ({ context, search }) => {
    const me = await context.queryClient.ensureQueryData(meQuery);
    if (me) {
      const target = safeRedirect((search as { redirect?: unknown }).redirect);
      throw redirect({ href: target ?? (await landing(context.queryClient)) });
    }
  },
});

const signIn = createRoute({
  getParentRoute: () => signedOut,
  path: "/",
  validateSearch: strings("redirect"),
  component: lazyRouteComponent(() => import("./pages/sign-in")),
});
const signUp = createRoute({
  getParentRoute: () => signedOut,
  path: "/sign-up",
  validateSearch: strings("invitation"),
  component: lazyRouteComponent(() => import("./pages/sign-up")),
});
const forgotPassword = createRoute({
  getParentRoute: () => signedOut,
  path: "/forgot-password",
  component: lazyRouteComponent(() => import("./pages/forgot-password")),
});

const tokenSearch = strings("token");

/** Links from email work whether or not the person is signed in. */
const resetPassword = createRoute({
  getParentRoute: () => root,
  path: "/reset-password",
  validateSearch: tokenSearch,
  component: lazyRouteComponent(() => import("./pages/reset-password")),
});
const verifyEmail = createRoute({
  getParentRoute: () => root,
  path: "/verify-email",
  validateSearch: tokenSearch,
  component: lazyRouteComponent(() => import("./pages/verify-email")),
});
/** Where a social sign-in that did not work ends, signed in or not. */
const socialError = createRoute({
  getParentRoute: () => root,
  path: "/social-error",
  validateSearch: strings("reason", "intent"),
  component: lazyRouteComponent(() => import("./pages/social-error")),
});
const invite = createRoute({
  getParentRoute: () => root,
  path: "/invite/$token",
  component: lazyRouteComponent(() => import("./pages/invite")),
});

/** Everything else needs a session; a signed-out visitor signs in and comes back here. */
const signedIn = createRoute({
  getParentRoute: () => root,
  id: "signed-in",
  component: lazyRouteComponent(() => import("./pages/shell")),
  beforeLoad: async ({ context, location }) => {
    const me = await context.queryClient.ensureQueryData(meQuery);
    if (!me) throw redirect({ to: "/", search: { redirect: location.href } });
    return { me };
  },
});

const welcome = createRoute({
  getParentRoute: () => signedIn,
  path: "/welcome",
  component: lazyRouteComponent(() => import("./pages/welcome")),
});
const home = createRoute({
  getParentRoute: () => signedIn,
  path: "/home",
  beforeLoad: async ({ context }) => {
    throw redirect({ href: await landing(context.queryClient) });
  },
});
const organization = createRoute({
  getParentRoute: () => signedIn,
  path: "/o/$slug",
  component: lazyRouteComponent(() => import("./pages/organization/home")),
});

/** Managing an organization: owners and admins; anyone else gets a page that says so. */
const settings = createRoute({
  getParentRoute: () => signedIn,
  path: "/o/$slug/settings",
  component: lazyRouteComponent(() => import("./pages/organization/settings-layout")),
});
const settingsIndex = createRoute({
  getParentRoute: () => settings,
  path: "/",
  beforeLoad: ({ params }) => {
    throw redirect({ to: "/o/$slug/settings/general", params });
  },
});
const general = createRoute({
  getParentRoute: () => settings,
  path: "/general",
  component: lazyRouteComponent(() => import("./pages/organization/general")),
});
const ROLES = ["owner", "admin", "member"] as const;
const members = createRoute({
  getParentRoute: () => settings,
  path: "/members",
  // The search and the filter live in the address, so a view can be shared and Back works.
  validateSearch: (search: Search): { q?: string; role?: (typeof ROLES)[number] } => ({
    ...strings("q")(search),
    ...(ROLES.includes(search.role as never)
      ? { role: search.role as (typeof ROLES)[number] }
      : {}),
  }),
  component: lazyRouteComponent(() => import("./pages/organization/members")),
});
const inviteMembers = createRoute({
  getParentRoute: () => settings,
  path: "/invite",
  component: lazyRouteComponent(() => import("./pages/organization/invite")),
});
const invitations = createRoute({
  getParentRoute: () => settings,
  path: "/invitations",
  component: lazyRouteComponent(() => import("./pages/organization/invitations")),
});
const audit = createRoute({
  getParentRoute: () => settings,
  path: "/audit",
  validateSearch: strings("action", "actor", "from", "to"),
  component: lazyRouteComponent(() => import("./pages/organization/audit")),
});

const account = createRoute({
  getParentRoute: () => signedIn,
  path: "/account",
  component: lazyRouteComponent(() => import("./pages/account/layout")),
});
const accountIndex = createRoute({
  getParentRoute: () => account,
  path: "/",
  beforeLoad: () => {
    throw redirect({ to: "/account/profile" });
  },
});
const profile = createRoute({
  getParentRoute: () => account,
  path: "/profile",
  component: lazyRouteComponent(() => import("./pages/account/profile")),
});
const security = createRoute({
  getParentRoute: () => account,
  path: "/security",
  component: lazyRouteComponent(() => import("./pages/account/security")),
});
const access = createRoute({
  getParentRoute: () => account,
  path: "/access",
  component: lazyRouteComponent(() => import("./pages/account/access")),
});
const sessions = createRoute({
  getParentRoute: () => account,
  path: "/sessions",
  component: lazyRouteComponent(() => import("./pages/account/sessions")),
});
const activity = createRoute({
  getParentRoute: () => account,
  path: "/activity",
  component: lazyRouteComponent(() => import("./pages/account/activity")),
});

const routeTree = root.addChildren([
  signedOut.addChildren([signIn, signUp, forgotPassword]),
  resetPassword,
  verifyEmail,
  socialError,
  invite,
  signedIn.addChildren([
    welcome,
    home,
    organization,
    settings.addChildren([settingsIndex, general, members, inviteMembers, invitations, audit]),
    account.addChildren([accountIndex, profile, security, access, sessions, activity]),
  ]),
]);

export function createConsoleRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: "intent",
    scrollRestoration: true,
  });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createConsoleRouter>;
  }
}
