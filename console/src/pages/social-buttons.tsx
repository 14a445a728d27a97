import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../lib/api";
import { providersQuery } from "../lib/providers";

export { providersQuery };

/** The start of a provider's flow: a plain navigation, as the flow is a chain of redirects. */
export function socialStartUrl(
  provider: string,
  options: {
    intent?: "sign-in" | "link" | "reauthenticate";
    returnTo?: string;
    invitation?: string;
  },
): string {
  const query = new URLSearchParams();
  if (options.intent) query.set("intent", options.intent);
  if (options.returnTo) query.set("returnTo", options.returnTo);
  if (options.invitation) query.set("invitation", options.invitation);
  const search = query.toString();
  return `/api/v1/auth/oauth/${encodeURIComponent(provider)}/start${search ? `?${search}` : ""}`;
}

/** "Continue with …" for each configured provider; nothing when there is none. */
export default function SocialButtons({
  returnTo,
  invitation,
}: {
  returnTo?: string | undefined;
  invitation?: string | undefined;
}) {
  const providers = useQuery(providersQuery);
  const items = providers.data ?? [];
  if (items.length === 0) return null;
  return (
    <div className="mt-6 flex flex-col gap-3">
      <p className="text-center text-sm text-slate-700">or</p>
      {items.map((provider) => (
        <a
          key={provider.id}
          href={socialStartUrl(provider.id, { returnTo, invitation })}
          className="inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-900 hover:bg-slate-100"
        >
          Continue with {provider.name}
        </a>
      ))}
    </div>
  );
}

/**
 * "Or confirm with …" for each provider linked to the account: how an account without a
 * password makes its session fresh. The page comes back here; the action is then tried again.
 */
export function ConfirmWithProvider() {
  const providers = useQuery(providersQuery);
  const identities = useQuery({
    queryKey: ["me", "identities"],
    queryFn: async () => (await unwrap(api.GET("/api/v1/me/identities"))).items,
  });
  const linked = new Set((identities.data ?? []).map((identity) => identity.provider));
  // GitHub dates no sign-in, so it cannot prove a recent one (the server refuses it).
  const usable = (providers.data ?? []).filter(
    (provider) => linked.has(provider.id) && provider.kind !== "github",
  );
  if (usable.length === 0) return null;
  const here = typeof location === "undefined" ? "/" : location.pathname;
  return (
    <div className="flex flex-col gap-2 border-t border-slate-200 pt-4 text-sm">
      {usable.map((provider) => (
        <a
          key={provider.id}
          href={socialStartUrl(provider.id, { intent: "reauthenticate", returnTo: here })}
          className="font-medium text-brand-700 underline"
        >
          Or confirm with {provider.name}
        </a>
      ))}
    </div>
  );
}
