import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useState } from "react";
import { providersQuery } from "../lib/providers";

const Buttons = lazy(() => import("./social-buttons"));

/**
 * The sign-in, sign-up and invitation pages' provider buttons. Their code (and useQuery's) loads
 * only when a provider is configured, so an instance without any pays nothing on its sign-in
 * page: the list is fetched through the query client the page already has.
 */
export function SocialButtons(props: {
  returnTo?: string | undefined;
  invitation?: string | undefined;
}) {
  const queryClient = useQueryClient();
  const [configured, setConfigured] = useState(false);
  useEffect(() => {
    let live = true;
    queryClient.fetchQuery(providersQuery).then(
      (items) => live && setConfigured(items.length > 0),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [queryClient]);
  if (!configured) return null;
  return (
    <Suspense fallback={null}>
      <Buttons {...props} />
    </Suspense>
  );
}
