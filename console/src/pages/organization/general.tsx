import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useParams } from "@tanstack/react-router";
import { useState } from "react";
import { Form } from "react-aria-components";
import { api, unwrap } from "../../lib/api";
import { errorMessage } from "../../lib/errors";
import { useApiForm } from "../../lib/form";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import { can, organizationQuery } from "../../lib/organization";
import { required, z } from "../../lib/schema";
import { organizationsQuery } from "../../lib/session";
import { Banner } from "../../ui/Banner";
import { Button } from "../../ui/Button";
import { FormField } from "../../ui/FormField";
import { TextField } from "../../ui/TextField";
import { toast } from "../../ui/Toast";
import { TypedConfirmDialog } from "../../ui/TypedConfirmDialog";
import type { Organization } from "./gate";

const detailsSchema = z.object({
  name: required("Enter the organization's name."),
  slug: required("Enter the slug used in the organization's address."),
});

/** General settings: name and address, allowed email domains, and deleting the organization. */
export default function General() {
  const { slug } = useParams({ strict: false }) as { slug: string };
  const organization = useQuery(organizationQuery(slug));
  if (!organization.data) return null;
  return (
    <div className="flex max-w-2xl flex-col gap-8">
      <Details organization={organization.data} />
      <EmailDomains organization={organization.data} />
      {can({ memberId: "", role: organization.data.myRole }, { type: "organization:delete" }) && (
        <DeleteOrganization organization={organization.data} />
      )}
    </div>
  );
}

/** After a change: the organization under its (maybe new) slug, and the switcher's list. */
function useSaved() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return async (previousSlug: string, updated: Organization) => {
    queryClient.setQueryData(organizationQuery(updated.slug).queryKey, updated);
    await queryClient.invalidateQueries({ queryKey: organizationsQuery.queryKey });
    if (updated.slug !== previousSlug) {
      queryClient.removeQueries({ queryKey: ["organization", previousSlug] });
      await navigate({
        to: "/o/$slug/settings/general",
        params: { slug: updated.slug },
        replace: true,
      });
    }
  };
}

function Details({ organization }: { organization: Organization }) {
  const saved = useSaved();
  const { form, onSubmit, formError, pending } = useApiForm(
    detailsSchema,
    { name: organization.name, slug: organization.slug },
    async (values) => {
      const updated = await unwrap(
        api.PATCH("/api/v1/organizations/{org}", {
          params: { path: { org: organization.id } },
          body: values,
        }),
      );
      await saved(organization.slug, updated);
      form.reset({ name: updated.name, slug: updated.slug });
      toast("Organization saved.");
    },
  );
  return (
    <section aria-labelledby="details" className="flex flex-col gap-4">
      <h2 id="details" className="text-lg font-semibold">
        Name and address
      </h2>
      <Form onSubmit={onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
        {formError && <Banner tone="error">{formError}</Banner>}
        <FormField control={form.control} name="name" label="Name" />
        <FormField
          control={form.control}
          name="slug"
          label="Slug"
          description={`The organization's address: ${location.origin}/o/${form.watch("slug") || "…"}. Old links keep working and say where the organization went.`}
        />
        <Button type="submit" className="self-start" pending={pending}>
          Save
        </Button>
      </Form>
    </section>
  );
}

/** A domain as people type it: without "@", spaces or a trailing dot, in lowercase. */
function cleanDomain(typed: string): string {
  return typed.trim().replace(/^@/, "").replace(/\.$/, "").toLowerCase();
}

function EmailDomains({ organization }: { organization: Organization }) {
  const saved = useSaved();
  const [typed, setTyped] = useState("");
  const domains = organization.allowedEmailDomains;
  const save = useMutation({
    mutationFn: (allowedEmailDomains: string[]) =>
      unwrap(
        api.PATCH("/api/v1/organizations/{org}", {
          params: { path: { org: organization.id } },
          body: { allowedEmailDomains },
        }),
      ),
    onSuccess: async (updated) => {
      await saved(organization.slug, updated);
    },
  });
  const add = () => {
    const domain = cleanDomain(typed);
    if (!domain) return;
    if (domains.includes(domain)) {
      setTyped("");
      return;
    }
    save.mutate([...domains, domain], {
      onSuccess: () => {
        setTyped("");
        toast(`${domain} added.`);
      },
    });
  };
  const example = domains[0] ?? "acme.com";
  return (
    <section aria-labelledby="domains" className="flex flex-col gap-3">
      <h2 id="domains" className="text-lg font-semibold">
        Allowed email domains
      </h2>
      <p className="text-sm text-slate-700">
        Invitations go only to addresses at these domains: with {example} listed, alice@{example}{" "}
        can only invite @{example} addresses. With none, any address may be invited.
      </p>
      {save.isError && <Banner tone="error">{errorMessage(save.error)}</Banner>}
      {domains.length > 0 ? (
        <ul aria-label="Allowed email domains" className="flex flex-wrap gap-2">
          {domains.map((domain) => (
            <li
              key={domain}
              className="flex items-center gap-1 rounded-full border border-slate-300 bg-slate-50 py-1 pr-1 pl-3 text-sm text-slate-900"
            >
              {domain}
              <Button
                variant="quiet"
                aria-label={`Remove ${domain}`}
                className="rounded-full! px-2! py-0.5!"
                isDisabled={save.isPending}
                onPress={() =>
                  save.mutate(
                    domains.filter((d) => d !== domain),
                    { onSuccess: () => toast(`${domain} removed.`) },
                  )
                }
              >
                <span aria-hidden="true">×</span>
              </Button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-sm text-slate-700">No domains: anyone may be invited.</p>
      )}
      <Form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          add();
        }}
      >
        <TextField
          label="Domain"
          value={typed}
          onChange={setTyped}
          placeholder="acme.com"
          autoComplete="off"
        />
        <Button type="submit" variant="secondary" pending={save.isPending}>
          Add domain
        </Button>
      </Form>
    </section>
  );
}

function DeleteOrganization({ organization }: { organization: Organization }) {
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
      await fresh(() =>
        unwrap(
          api.DELETE("/api/v1/organizations/{org}", {
            params: { path: { org: organization.id } },
          }),
        ),
      );
      queryClient.removeQueries({ queryKey: ["organization", organization.slug] });
      await queryClient.invalidateQueries({ queryKey: organizationsQuery.queryKey });
      toast(`${organization.name} was deleted.`);
      await navigate({ to: "/home" });
    } catch (failure) {
      if (!(failure instanceof ReauthenticationCancelled)) setError(errorMessage(failure));
    } finally {
      setPending(false);
    }
  };

  return (
    <section
      aria-labelledby="delete-organization"
      className="flex flex-col gap-3 rounded-lg border border-red-300 bg-white p-4"
    >
      <h2 id="delete-organization" className="text-lg font-semibold text-danger-700">
        Delete organization
      </h2>
      <p className="text-sm text-slate-700">
        Deleting {organization.name} removes every member, invitation and API key bound to it. Its
        audit events are kept. This cannot be undone.
      </p>
      <Button variant="danger" className="self-start" onPress={() => setOpen(true)}>
        Delete organization
      </Button>
      <TypedConfirmDialog
        title={`Delete ${organization.name}?`}
        isOpen={open}
        onOpenChange={(next) => {
          setOpen(next);
          if (!next) setError(null);
        }}
        phrase={organization.name}
        confirmLabel="Delete organization"
        onConfirm={() => void remove()}
        pending={pending}
        error={error}
      >
        Everyone loses access to it at once. This cannot be undone.
      </TypedConfirmDialog>
    </section>
  );
}
