import { useMutation, useQuery, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { Form } from "react-aria-components";
import { api, unwrap } from "../../lib/api";
import { errorMessage } from "../../lib/errors";
import { useApiForm } from "../../lib/form";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import { required, z } from "../../lib/schema";
import { meQuery } from "../../lib/session";
import { Banner } from "../../ui/Banner";
import { Button } from "../../ui/Button";
import { FormField } from "../../ui/FormField";
import { toast } from "../../ui/Toast";
import { formatDate, LoadError } from "../page";
import { DeleteAccount } from "./delete-account";

const nameSchema = z.object({ name: required("Enter your name.") });
const emailSchema = z.object({ newEmail: required("Enter the new address.") });
const emailChangeKey = ["me", "email-change"];

export default function Profile() {
  const { data: me } = useSuspenseQuery(meQuery);
  const queryClient = useQueryClient();
  const fresh = useFresh();
  // From the API, not from this page's memory: a reload still shows the change waiting.
  const emailChange = useQuery({
    queryKey: emailChangeKey,
    queryFn: () => unwrap(api.GET("/api/v1/me/email-change")),
  });
  const pendingEmail = emailChange.data?.pendingEmail ?? null;
  const cancel = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/me/email-change")),
    onSuccess: () => {
      queryClient.setQueryData(emailChangeKey, { pendingEmail: null });
      toast("Email change cancelled.");
    },
  });
  const resend = useMutation({
    mutationFn: (newEmail: string) =>
      fresh(() => unwrap(api.POST("/api/v1/me/email", { body: { newEmail } }))),
    onSuccess: async () => {
      toast("Link sent again.");
      await queryClient.invalidateQueries({ queryKey: emailChangeKey });
    },
  });
  const name = useApiForm(nameSchema, { name: me?.name ?? "" }, async (values) => {
    const user = await unwrap(api.PATCH("/api/v1/me", { body: values }));
    queryClient.setQueryData(meQuery.queryKey, (old) => old && { ...old, ...user });
    toast("Name saved.");
  });
  const email = useApiForm(emailSchema, { newEmail: "" }, async (values) => {
    try {
      await fresh(() => unwrap(api.POST("/api/v1/me/email", { body: values })));
    } catch (error) {
      if (error instanceof ReauthenticationCancelled) return;
      throw error;
    }
    email.form.reset();
    await queryClient.invalidateQueries({ queryKey: emailChangeKey });
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
            <span className="min-w-0 flex-1 basis-60">
              We sent a link to <span className="font-medium break-all">{pendingEmail.email}</span>.
              Your address changes when you open it. The link works until{" "}
              {formatDate(pendingEmail.expiresAt)}.
            </span>
            <span className="flex flex-wrap gap-2">
              <Button
                variant="secondary"
                pending={resend.isPending}
                onPress={() => resend.mutate(pendingEmail.email)}
              >
                Send link again
              </Button>
              <Button
                variant="secondary"
                pending={cancel.isPending}
                onPress={() => cancel.mutate()}
              >
                Cancel change
              </Button>
            </span>
          </Banner>
        )}
        {emailChange.isError && (
          <LoadError error={emailChange.error} retry={() => void emailChange.refetch()} />
        )}
        {(cancel.isError ||
          (resend.isError && !(resend.error instanceof ReauthenticationCancelled))) && (
          <Banner tone="error">{errorMessage(cancel.error ?? resend.error)}</Banner>
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
