import { Form } from "react-aria-components";
import { Controller } from "react-hook-form";
import { ApiError, api, unwrap } from "../../lib/api";
import { useApiForm } from "../../lib/form";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import { atLeast, z } from "../../lib/schema";
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
    <>
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
      <LinkedAccounts />
    </>
  );
}
