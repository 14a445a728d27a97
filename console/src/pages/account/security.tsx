import { useMutation, useQuery } from "@tanstack/react-query";
import { Form } from "react-aria-components";
import { Controller } from "react-hook-form";
import { ApiError, api, unwrap } from "../../lib/api";
import { errorMessage } from "../../lib/errors";
import { useApiForm } from "../../lib/form";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import { atLeast, z } from "../../lib/schema";
import { meQuery } from "../../lib/session";
import { Banner } from "../../ui/Banner";
import { Button } from "../../ui/Button";
import { Checkbox } from "../../ui/Checkbox";
import { FormField } from "../../ui/FormField";
import { toast } from "../../ui/Toast";
import { LinkedAccounts } from "./linked-accounts";

const schema = z.object({
  currentPassword: atLeast(1, "Enter your current password."),
  newPassword: atLeast(8, "Use at least 8 characters."),
  revokeOtherSessions: z.boolean(),
});

export default function Security() {
  const me = useQuery(meQuery);
  return (
    <>
      {me.data?.hasPassword === false ? <SetPassword email={me.data.email} /> : <ChangePassword />}
      <LinkedAccounts />
    </>
  );
}

/**
 * An account made by social sign-in has no password to change: it sets one through the reset
 * link, which proves the mailbox (and, as every reset does, signs out every device).
 */
function SetPassword({ email }: { email: string }) {
  const send = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/password-reset", { body: { email } })),
  });
  return (
    <section aria-labelledby="security-password" className="flex max-w-lg flex-col gap-4">
      <h2 id="security-password" className="text-lg font-semibold">
        Password
      </h2>
      <p className="text-sm text-slate-700">
        Your account has no password: you sign in with a linked account. To add a password, we email
        a link to {email}. Setting the password signs you out of every device.
      </p>
      {send.isError && <Banner tone="error">{errorMessage(send.error)}</Banner>}
      {send.isSuccess && (
        <Banner tone="info">Check your email for the link to set a password.</Banner>
      )}
      {/* Kept mounted once the link is sent: replacing it while it was pending left an
          unlabelled role="img" node that axe reported (role-img-alt). */}
      <Button
        variant="secondary"
        pending={send.isPending}
        onPress={() => send.mutate()}
        className="self-start"
      >
        {send.isSuccess ? "Send the link again" : "Email me a link to set a password"}
      </Button>
    </section>
  );
}

function ChangePassword() {
  const fresh = useFresh();
  const { form, onSubmit, formError, pending } = useApiForm(
    schema,
    { currentPassword: "", newPassword: "", revokeOtherSessions: true },
    async (values) => {
      try {
        await fresh(() => unwrap(api.POST("/api/v1/me/password", { body: values })));
      } catch (error) {
        if (error instanceof ReauthenticationCancelled) return;
        if (error instanceof ApiError && error.code === "invalid_password") {
          form.setError("currentPassword", { message: "The current password is not correct." });
          return;
        }
        throw error;
      }
      form.reset();
      toast(
        values.revokeOtherSessions
          ? "Password changed. Your other devices are signed out."
          : "Password changed.",
      );
    },
  );
  return (
    <section aria-labelledby="security-password" className="flex max-w-lg flex-col gap-4">
      <h2 id="security-password" className="text-lg font-semibold">
        Password
      </h2>
      <Form onSubmit={onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
        {formError && <Banner tone="error">{formError}</Banner>}
        <FormField
          control={form.control}
          name="currentPassword"
          label="Current password"
          type="password"
          autoComplete="current-password"
        />
        <FormField
          control={form.control}
          name="newPassword"
          label="New password"
          type="password"
          autoComplete="new-password"
        />
        <Controller
          control={form.control}
          name="revokeOtherSessions"
          render={({ field }) => (
            <Checkbox isSelected={field.value} onChange={field.onChange} name={field.name}>
              Sign out of other devices
            </Checkbox>
          )}
        />
        <Button type="submit" pending={pending} className="self-start">
          Change password
        </Button>
      </Form>
    </section>
  );
}
