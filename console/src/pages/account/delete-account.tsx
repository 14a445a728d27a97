import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { ApiError, api, unwrap } from "../../lib/api";
import { errorMessage } from "../../lib/errors";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import { meQuery, organizationsQuery } from "../../lib/session";
import { Button } from "../../ui/Button";
import { TypedConfirmDialog } from "../../ui/TypedConfirmDialog";

/**
 * The organizations that stop a deletion (`last_owner`): those where the account is the only
 * owner and others are members. The API says only that one exists, so the console looks.
 */
async function blockingOrganizations(
  organizations: Array<{ organization: { slug: string; name: string }; role: string }>,
): Promise<string[]> {
  const owned = organizations.filter((o) => o.role === "owner");
  const checks = await Promise.all(
    owned.map(async ({ organization }) => {
      const path = { org: organization.slug };
      const [owners, members] = await Promise.all([
        unwrap(
          api.GET("/api/v1/organizations/{org}/members", {
            params: { path, query: { role: "owner", limit: "2" } },
          }),
        ),
        unwrap(
          api.GET("/api/v1/organizations/{org}/members", {
            params: { path, query: { limit: "2" } },
          }),
        ),
      ]);
      return owners.items.length === 1 && members.items.length > 1 ? organization.name : null;
    }),
  );
  return checks.filter((name): name is string => name !== null);
}

/** The danger zone: deleting the account, confirmed by typing its email address. */
export function DeleteAccount({ email }: { email: string }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const fresh = useFresh();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const remove = async () => {
    setPending(true);
    setError(null);
    try {
      await fresh(() => unwrap(api.DELETE("/api/v1/me")));
      queryClient.clear();
      queryClient.setQueryData(meQuery.queryKey, null);
      await navigate({ to: "/" });
    } catch (failure) {
      if (failure instanceof ReauthenticationCancelled) return;
      if (failure instanceof ApiError && failure.code === "last_owner") {
        const names = await blockingOrganizations(
          await queryClient.fetchQuery(organizationsQuery),
        ).catch(() => []);
        setError(
          names.length
            ? `Make someone else an owner of ${names.join(", ")} first, or remove its other members.`
            : errorMessage(failure),
        );
      } else {
        setError(errorMessage(failure));
      }
    } finally {
      setPending(false);
    }
  };

  return (
    <section
      aria-labelledby="danger-zone"
      className="flex flex-col gap-3 rounded-lg border border-red-300 bg-white p-4"
    >
      <h2 id="danger-zone" className="text-lg font-semibold text-danger-700">
        Danger zone
      </h2>
      <p className="text-sm text-slate-700">
        Deleting your account signs you out everywhere and removes you from every organization.
        Organizations where you are the only member are deleted too.
      </p>
      <Button variant="danger" className="self-start" onPress={() => setOpen(true)}>
        Delete account
      </Button>
      <TypedConfirmDialog
        title="Delete your account?"
        isOpen={open}
        onOpenChange={setOpen}
        phrase={email}
        matches={(typed) => typed.trim().toLowerCase() === email.toLowerCase()}
        confirmLabel="Delete account"
        onConfirm={() => void remove()}
        pending={pending}
        error={error}
      >
        This cannot be undone.
      </TypedConfirmDialog>
    </section>
  );
}
