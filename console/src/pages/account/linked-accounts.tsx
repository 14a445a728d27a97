import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../lib/api";
import { errorMessage } from "../../lib/errors";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import { providersQuery } from "../../lib/providers";
import { Banner } from "../../ui/Banner";
import { Button } from "../../ui/Button";
import { ConfirmDialog } from "../../ui/ConfirmDialog";
import { toast } from "../../ui/Toast";
import { formatDate } from "../page";
import { socialStartUrl } from "../social-buttons";

const identitiesKey = ["me", "identities"];
const HERE = "/account/security";

/** The social identities that sign this account in: Connect one, Disconnect one. */
export function LinkedAccounts() {
  const queryClient = useQueryClient();
  const fresh = useFresh();
  const providers = useQuery(providersQuery);
  const identities = useQuery({
    queryKey: identitiesKey,
    queryFn: async () => (await unwrap(api.GET("/api/v1/me/identities"))).items,
  });
  const [confirm, setConfirm] = useState<{ id: string; name: string } | null>(null);
  const disconnect = useMutation({
    mutationFn: (id: string) =>
      fresh(() => unwrap(api.DELETE("/api/v1/me/identities/{id}", { params: { path: { id } } }))),
    onSuccess: (_data, id) => {
      queryClient.setQueryData(identitiesKey, (rows: Array<{ id: string }> | undefined) =>
        rows?.filter((row) => row.id !== id),
      );
      setConfirm(null);
      toast("Disconnected.");
    },
    onError: (error) => {
      if (error instanceof ReauthenticationCancelled) setConfirm(null);
    },
  });
  const available = providers.data ?? [];
  if (available.length === 0 && (identities.data ?? []).length === 0) return null;
  const nameOf = (id: string) => available.find((p) => p.id === id)?.name ?? id;
  return (
    <section aria-labelledby="security-linked" className="mt-10 flex max-w-lg flex-col gap-4">
      <h2 id="security-linked" className="text-lg font-semibold">
        Linked accounts
      </h2>
      {identities.isError && <Banner tone="error">{errorMessage(identities.error)}</Banner>}
      <ul className="flex flex-col gap-2">
        {(identities.data ?? []).map((identity) => (
          <li
            key={identity.id}
            className="flex flex-wrap items-center justify-between gap-2 rounded-md border border-slate-200 p-3"
          >
            <span className="text-sm">
              <span className="font-medium">{nameOf(identity.provider)}</span>
              {identity.email && <span className="text-slate-700"> · {identity.email}</span>}
              <span className="block text-slate-700">
                Connected {formatDate(identity.linkedAt)}
              </span>
            </span>
            <Button
              variant="secondary"
              onPress={() => setConfirm({ id: identity.id, name: nameOf(identity.provider) })}
            >
              Disconnect
            </Button>
          </li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        {available.map((provider) => (
          <a
            key={provider.id}
            href={socialStartUrl(provider.id, { intent: "link", returnTo: HERE })}
            className="inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-900 hover:bg-slate-100"
          >
            Connect {provider.name}
          </a>
        ))}
      </div>
      <ConfirmDialog
        title={`Disconnect ${confirm?.name ?? ""}?`}
        isOpen={confirm !== null}
        onOpenChange={(open) => {
          if (!open) setConfirm(null);
        }}
        confirmLabel="Disconnect"
        pending={disconnect.isPending}
        error={disconnect.isError ? errorMessage(disconnect.error) : undefined}
        onConfirm={() => confirm && disconnect.mutate(confirm.id)}
      >
        You will no longer be able to sign in with this {confirm?.name} account.
      </ConfirmDialog>
    </section>
  );
}
