import { api, unwrap } from "./api";

/** The configured social sign-in providers; kept small, as the sign-in page loads it. */
export const providersQuery = {
  queryKey: ["auth", "providers"],
  queryFn: async () => (await unwrap(api.GET("/api/v1/auth/providers"))).items,
  staleTime: Number.POSITIVE_INFINITY,
};
