import { type QueryClient, queryOptions } from "@tanstack/react-query";
import { ApiError, api, unwrap } from "./api";

/** The signed-in account, or null when signed out. */
export const meQuery = queryOptions({
  queryKey: ["me"],
  queryFn: async () => {
    try {
      return await unwrap(api.GET("/api/v1/me"));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },
  staleTime: 60_000,
});

/**
 * After signing in or up: the account as /me tells it (with what the instance lets it do),
 * read afresh rather than taken from the sign-in's answer.
 */
export function reloadMe(queryClient: QueryClient) {
  return queryClient.fetchQuery({ ...meQuery, staleTime: 0 });
}

/** The account's organizations, alphabetically, with the role in each. */
export const organizationsQuery = queryOptions({
  queryKey: ["me", "organizations"],
  queryFn: async () => {
    const page = await unwrap(
      api.GET("/api/v1/me/organizations", { params: { query: { limit: "200" } } }),
    );
    return [...page.items].sort((a, b) =>
      a.organization.name.localeCompare(b.organization.name, undefined, { sensitivity: "base" }),
    );
  },
  staleTime: 30_000,
});

/** Only a path inside the console may be a destination after signing in. */
export function safeRedirect(target: unknown): string | null {
  return typeof target === "string" && /^\/(?![/\\])/.test(target) ? target : null;
}

const LAST_ORGANIZATION = "atrium:organization";

/** The organization last opened in this tab, so that account pages keep it in the sidebar. */
export function rememberOrganization(slug: string): void {
  try {
    sessionStorage.setItem(LAST_ORGANIZATION, slug);
  } catch {
    // Storage refused (private mode): the first organization is used instead.
  }
}

export function lastOrganization(): string | null {
  try {
    return sessionStorage.getItem(LAST_ORGANIZATION);
  } catch {
    return null;
  }
}
