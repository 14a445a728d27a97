import { Link } from "@tanstack/react-router";
import { useState } from "react";
import { Form } from "react-aria-components";
import { api, unwrap } from "../lib/api";
import { useApiForm } from "../lib/form";
import { required, z } from "../lib/schema";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { FormField } from "../ui/FormField";

const schema = z.object({ email: required("Enter your email address.") });

export default function ForgotPassword() {
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { form, onSubmit, formError, pending } = useApiForm(
    schema,
    { email: "" },
    async (values) => {
      await unwrap(api.POST("/api/v1/auth/password-reset", { body: values }));
      setSentTo(values.email);
    },
  );
  return (
    <>
      <h1 className="mb-6 text-xl font-semibold">Reset your password</h1>
      {sentTo ? (
        <Banner tone="success">
          If an account uses {sentTo}, we sent it a link to choose a new password. The link works
          once.
        </Banner>
      ) : (
        <Form onSubmit={onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
          <p className="text-sm text-slate-700">
            Enter your account's email address and we will send you a link to choose a new password.
          </p>
          {formError && <Banner tone="error">{formError}</Banner>}
          <FormField
            control={form.control}
            name="email"
            label="Email"
            type="email"
            autoComplete="email"
          />
          <Button type="submit" pending={pending}>
            Send reset link
          </Button>
        </Form>
      )}
      <p className="mt-6 text-center text-sm">
        <Link to="/" className="text-brand-700 underline">
          Back to sign in
        </Link>
      </p>
    </>
  );
}
