import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Form } from "react-aria-components";
import { Controller } from "react-hook-form";
import { api, unwrap } from "../../lib/api";
import { errorMessage } from "../../lib/errors";
import { useApiForm } from "../../lib/form";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import { required, z } from "../../lib/schema";
import { organizationsQuery } from "../../lib/session";
import { Banner } from "../../ui/Banner";
import { Button } from "../../ui/Button";
import { Card, CardList, TABLE_FROM } from "../../ui/CardList";
import { ConfirmDialog } from "../../ui/ConfirmDialog";
import { Dialog } from "../../ui/Dialog";
import { FormField } from "../../ui/FormField";
import { Cell, Column, Row, Table, TableBody, TableHeader } from "../../ui/Table";
import { toast } from "../../ui/Toast";
import { DateTime, formatDate, LoadError, Loading } from "../page";

const keysKey = ["me", "api-keys"];
const EXPIRY_DAYS = [7, 30, 90, 365] as const;

const schema = z.object({
  name: required("Name the key after what uses it."),
  days: z.string(),
  organizationId: z.string(),
});

export default function Access() {
  const queryClient = useQueryClient();
  const keys = useQuery({
    queryKey: keysKey,
    queryFn: () => unwrap(api.GET("/api/v1/me/api-keys", { params: { query: { limit: "200" } } })),
  });
  const organizations = useQuery(organizationsQuery);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const revoke = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/v1/me/api-keys/{id}", { params: { path: { id } } })),
    onSuccess: async () => {
      setRevoking(null);
      toast("API key revoked.");
      await queryClient.invalidateQueries({ queryKey: keysKey });
    },
  });
  const revokeButton = (key: { id: string; name: string }) => (
    <Button
      variant="secondary"
      aria-label={`Revoke ${key.name}`}
      onPress={() => setRevoking({ id: key.id, name: key.name })}
    >
      Revoke
    </Button>
  );
  const orgName = (id: string | null) =>
    id
      ? (organizations.data?.find((o) => o.organization.id === id)?.organization.name ?? id)
      : "All";

  return (
    <section aria-labelledby="access-keys" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="access-keys" className="text-lg font-semibold">
          API keys
        </h2>
        <Button onPress={() => setCreating(true)}>Create API key</Button>
      </div>
      <p className="text-sm text-slate-700">
        Scripts and tools use a key as a bearer token, with your access (or one organization's).
      </p>
      {keys.isPending ? (
        <Loading what="API keys" />
      ) : keys.isError ? (
        <LoadError error={keys.error} retry={() => void keys.refetch()} />
      ) : keys.data.items.length === 0 ? (
        <p className="text-sm text-slate-700">
          No API keys yet. Create one for each script or tool.
        </p>
      ) : (
        <>
          {/* Seven columns fit beside the sidebar from 1280 px. */}
          <Table aria-label="API keys" className={TABLE_FROM.xl.table}>
            <TableHeader>
              <Column isRowHeader>Name</Column>
              <Column>Prefix</Column>
              <Column>Organization</Column>
              <Column>Created</Column>
              <Column>Last used</Column>
              <Column>Expires</Column>
              <Column>
                <span className="sr-only">Actions</span>
              </Column>
            </TableHeader>
            <TableBody items={keys.data.items}>
              {(key) => (
                <Row id={key.id}>
                  <Cell>
                    <span className="whitespace-normal break-words">{key.name}</span>
                  </Cell>
                  <Cell>
                    <code>{key.prefix}…</code>
                  </Cell>
                  <Cell>{orgName(key.organizationId)}</Cell>
                  <Cell>
                    <DateTime value={key.createdAt} />
                  </Cell>
                  <Cell>{key.lastUsedAt ? <DateTime value={key.lastUsedAt} /> : "Never"}</Cell>
                  <Cell>
                    <DateTime value={key.expiresAt} />
                  </Cell>
                  <Cell>{revokeButton(key)}</Cell>
                </Row>
              )}
            </TableBody>
          </Table>
          <CardList label="API keys" tableFrom="xl">
            {keys.data.items.map((key) => (
              <Card
                key={key.id}
                title={key.name}
                fields={[
                  ["Prefix", <code key="prefix">{key.prefix}…</code>],
                  ["Organization", orgName(key.organizationId)],
                  ["Created", formatDate(key.createdAt)],
                  ["Last used", key.lastUsedAt ? formatDate(key.lastUsedAt) : "Never"],
                  ["Expires", formatDate(key.expiresAt)],
                ]}
                actions={revokeButton(key)}
              />
            ))}
          </CardList>
        </>
      )}
      <CreateKeyDialog
        open={creating}
        onOpenChange={setCreating}
        organizations={(organizations.data ?? []).map((o) => o.organization)}
        onCreated={(value) => {
          setCreating(false);
          setSecret(value);
          void queryClient.invalidateQueries({ queryKey: keysKey });
        }}
      />
      <SecretDialog secret={secret} onDone={() => setSecret(null)} />
      <ConfirmDialog
        title="Revoke API key?"
        isOpen={revoking !== null}
        onOpenChange={(open) => !open && setRevoking(null)}
        confirmLabel="Revoke"
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        pending={revoke.isPending}
        error={revoke.isError ? errorMessage(revoke.error) : undefined}
      >
        Anything using “{revoking?.name}” stops working at once. This cannot be undone.
      </ConfirmDialog>
    </section>
  );
}

function CreateKeyDialog({
  open,
  onOpenChange,
  organizations,
  onCreated,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  organizations: Array<{ id: string; name: string }>;
  onCreated: (secret: string) => void;
}) {
  const fresh = useFresh();
  const { form, onSubmit, formError, pending } = useApiForm(
    schema,
    { name: "", days: "30", organizationId: "" },
    async ({ name, days, organizationId }) => {
      const expiresAt = new Date(Date.now() + Number(days) * 86_400_000).toISOString();
      const body = { name, expiresAt, ...(organizationId ? { organizationId } : {}) };
      try {
        const created = await fresh(() => unwrap(api.POST("/api/v1/me/api-keys", { body })));
        form.reset();
        onCreated(created.secret);
      } catch (error) {
        if (!(error instanceof ReauthenticationCancelled)) throw error;
      }
    },
  );
  const select = "rounded-md border border-slate-400 bg-white px-3 py-2 text-sm text-slate-900";
  return (
    <Dialog title="Create API key" isOpen={open} onOpenChange={onOpenChange}>
      <Form onSubmit={onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
        {formError && <Banner tone="error">{formError}</Banner>}
        <FormField control={form.control} name="name" label="Name" />
        <Controller
          control={form.control}
          name="days"
          render={({ field }) => (
            <label className="flex flex-col gap-1 text-sm font-medium text-slate-800">
              Expires
              <select {...field} className={select}>
                {EXPIRY_DAYS.map((days) => (
                  <option key={days} value={String(days)}>
                    In {days} days
                  </option>
                ))}
              </select>
            </label>
          )}
        />
        <Controller
          control={form.control}
          name="organizationId"
          render={({ field }) => (
            <label className="flex flex-col gap-1 text-sm font-medium text-slate-800">
              Organization
              <select {...field} className={select}>
                <option value="">All my organizations</option>
                {organizations.map((organization) => (
                  <option key={organization.id} value={organization.id}>
                    {organization.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" slot="close">
            Cancel
          </Button>
          <Button type="submit" pending={pending}>
            Create key
          </Button>
        </div>
      </Form>
    </Dialog>
  );
}

/** The secret is shown once: the dialog closes only with Done, never by Escape or a stray click. */
function SecretDialog({ secret, onDone }: { secret: string | null; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <Dialog title="Your new API key" isOpen={secret !== null} dismissable={false}>
      <p className="text-sm text-slate-700">
        Copy the key now and keep it somewhere safe: Atrium shows it only once.
      </p>
      <code
        data-testid="api-key-secret"
        className="block rounded-md border border-slate-300 bg-slate-100 p-3 text-sm break-all text-slate-900"
      >
        {secret}
      </code>
      <p role="status" className="text-sm text-slate-700">
        {copied ? "Copied to the clipboard." : ""}
      </p>
      <div className="flex justify-end gap-2">
        <Button
          variant="secondary"
          onPress={async () => {
            await navigator.clipboard.writeText(secret ?? "");
            setCopied(true);
          }}
        >
          Copy
        </Button>
        <Button
          onPress={() => {
            setCopied(false);
            onDone();
          }}
        >
          Done
        </Button>
      </div>
    </Dialog>
  );
}
