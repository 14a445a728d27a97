import { useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Form } from "react-aria-components";
import { api, unwrap } from "../../lib/api";
import { useApiForm } from "../../lib/form";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import { required, z } from "../../lib/schema";
import { meQuery } from "../../lib/session";
import { Banner } from "../../ui/Banner";
import { Button } from "../../ui/Button";
import { FormField } from "../../ui/FormField";
import { toast } from "../../ui/Toast";
import { DeleteAccount } from "./delete-account";

const nameSchema = z.object({ name: required("Enter your name.") });
const emailSchema = z.object({ newEmail: required("Enter the new address.") });

export default function Profile() {
  const { data: me } = useSuspenseQuery(meQuery);
  const queryClient = useQueryClient();
  const fresh = useFresh();
  const [pendingEmail, setPendingEmail] = useState<string | null>(null);
  const name = useApiForm(nameSchema, { name: me?.name ?? "" }, async (values) => {
    const user = await unwrap(api.PATCH("/api/v1/me", { body: values }));
    queryClient.setQueryData(meQuery.queryKey, user);
    toast("Name saved.");
  });
  const email = useApiForm(emailSchema, { newEmail: "" }, async (values) => {
    try {
      await fresh(() => unwrap(api.POST("/api/v1/me/email", { body: values })));
    } catch (error) {
      if (error instanceof ReauthenticationCancelled) return;
      throw error;
    }
    setPendingEmail(values.newEmail);
    email.form.reset();
  });
  if (!me) return null;
  return (
    <div className="flex max-w-lg flex-col gap-10">
      <section aria-labelledby="profile-name" className="flex flex-col gap-4">
        <h2 id="profile-name" className="text-lg font-semibold">
          Name
        </h2>
        <Form onSubmit={name.onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
          {name.formError && <Banner tone="error">{name.formError}</Banner>}
          <FormField control={name.form.control} name="name" label="Name" autoComplete="name" />
          <Button type="submit" pending={name.pending} className="self-start">
            Save name
          </Button>
        </Form>
      </section>
      <section aria-labelledby="profile-email" className="flex flex-col gap-4">
        <h2 id="profile-email" className="text-lg font-semibold">
          Email
        </h2>
        <p className="text-sm text-slate-700">
          Your address is <span className="font-medium text-slate-900">{me.email}</span>
          {me.emailVerified ? " (verified)." : " (not verified yet)."}
        </p>
        {pendingEmail && (
          <Banner tone="info">
            We sent a link to {pendingEmail}. Your address changes when you open it.
          </Banner>
        )}
        <Form onSubmit={email.onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
          {email.formError && <Banner tone="error">{email.formError}</Banner>}
          <FormField
            control={email.form.control}
            name="newEmail"
            label="New email"
            type="email"
            autoComplete="email"
          />
          <Button type="submit" pending={email.pending} className="self-start">
            Change email
          </Button>
        </Form>
      </section>
      <DeleteAccount email={me.email} />
    </div>
  );
}
