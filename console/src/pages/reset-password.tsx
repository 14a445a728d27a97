import { useQueryClient } from "@tanstack/react-query";
import { Link, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { Form } from "react-aria-components";
import { ApiError, api, unwrap } from "../lib/api";
import { useApiForm } from "../lib/form";
import { atLeast, z } from "../lib/schema";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { FormField } from "../ui/FormField";
import { LinkPage } from "./link-page";

const schema = z.object({ password: atLeast(8, "Use at least 8 characters.") });

export default function ResetPassword() {
  const { token } = useSearch({ strict: false }) as { token?: string };
  const queryClient = useQueryClient();
  const [state, setState] = useState<"form" | "done" | "dead">(token ? "form" : "dead");
  const { form, onSubmit, formError, pending } = useApiForm(
    schema,
    { password: "" },
    async ({ password }) => {
      try {
        await unwrap(
          api.POST("/api/v1/auth/password-reset/confirm", {
            body: { token: token ?? "", password },
          }),
        );
      } catch (error) {
        if (error instanceof ApiError && (error.status === 404 || error.status === 410)) {
          setState("dead");
          return;
        }
        throw error;
      }
      // Every session of the account is gone, this browser's included.
      queryClient.clear();
      setState("done");
    },
  );

  if (state === "dead") {
    return (
      <LinkPage title="This link no longer works">
        <p className="text-sm text-slate-700">
          Password reset links work once, for a limited time. Ask for a new one.
        </p>
        <Link to="/forgot-password" className="font-medium text-brand-700 underline">
          Send a new link
        </Link>
      </LinkPage>
    );
  }
  if (state === "done") {
    return (
      <LinkPage title="Your password is changed">
        <Banner tone="success">Every device was signed out. Sign in with your new password.</Banner>
        <Link to="/" className="font-medium text-brand-700 underline">
          Sign in
        </Link>
      </LinkPage>
    );
  }
  return (
    <LinkPage title="Choose a new password">
      <Form onSubmit={onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
        {formError && <Banner tone="error">{formError}</Banner>}
        <FormField
          control={form.control}
          name="password"
          label="New password"
          type="password"
          autoComplete="new-password"
          description="Saving it signs you out on every device."
        />
        <Button type="submit" pending={pending}>
          Set new password
        </Button>
      </Form>
    </LinkPage>
  );
}
