import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useEffect } from "react";
import { Form } from "react-aria-components";
import { slugify } from "../../../src/organizations/slug.js";
import { api, unwrap } from "../lib/api";
import { useApiForm } from "../lib/form";
import { required, z } from "../lib/schema";
import { organizationsQuery } from "../lib/session";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { FormField } from "../ui/FormField";

const createSchema = z.object({
  name: required("Enter the organization's name."),
  slug: required("Enter the slug used in the organization's address."),
});

/**
 * A new organization: its name, and the slug of its address, suggested from the name as it is
 * typed (the server's own rule) until the person edits the slug. It lands on the organization.
 */
export function CreateOrganizationDialog({
  open,
  onOpenChange,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { form, onSubmit, formError, pending } = useApiForm(
    createSchema,
    { name: "", slug: "" },
    async (values) => {
      const organization = await unwrap(api.POST("/api/v1/organizations", { body: values }));
      await queryClient.invalidateQueries({ queryKey: organizationsQuery.queryKey });
      onOpenChange(false);
      form.reset();
      await navigate({ to: "/o/$slug", params: { slug: organization.slug } });
    },
  );
  const name = form.watch("name");
  const slug = form.watch("slug");
  useEffect(() => {
    if (!form.getFieldState("slug").isDirty) form.setValue("slug", name ? slugify(name) : "");
  }, [name, form]);
  return (
    <Dialog title="Create organization" isOpen={open} onOpenChange={onOpenChange}>
      <Form onSubmit={onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
        {formError && <Banner tone="error">{formError}</Banner>}
        <FormField control={form.control} name="name" label="Name" />
        <FormField
          control={form.control}
          name="slug"
          label="Slug"
          description={`Its address: ${location.origin}/o/${slug || "…"}`}
        />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" slot="close">
            Cancel
          </Button>
          <Button type="submit" pending={pending}>
            Create organization
          </Button>
        </div>
      </Form>
    </Dialog>
  );
}
