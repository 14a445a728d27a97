import { useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import type { ReactNode } from "react";
import { Form } from "react-aria-components";
import { api, type components, unwrap } from "../lib/api";
import { useApiForm } from "../lib/form";
import { atLeast, required, z } from "../lib/schema";
import { reloadMe, safeRedirect } from "../lib/session";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { FormField } from "../ui/FormField";
import { SocialButtons } from "./social-sign-in";

const schema = z.object({
  email: required("Enter your email address."),
  password: atLeast(1, "Enter your password."),
});

type User = components["schemas"]["User"];

/**
 * The email and password form. With `fixedEmail` (an invitation's address) its own field shows
 * the address; `onSignedIn` decides where the person goes.
 */
export function SignInForm({
  fixedEmail,
  onSignedIn,
}: {
  /** An address the person may not change (an invitation's), and the field that shows it. */
  fixedEmail?: { email: string; field: ReactNode };
  onSignedIn: (user: User) => Promise<void>;
}) {
  const { form, onSubmit, formError, pending } = useApiForm(
    schema,
    { email: fixedEmail?.email ?? "", password: "" },
    async (values) => {
      const { user } = await unwrap(api.POST("/api/v1/auth/sign-in", { body: values }));
      await onSignedIn(user);
    },
  );
  return (
    <Form onSubmit={onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
      {formError && <Banner tone="error">{formError}</Banner>}
      {fixedEmail ? (
        fixedEmail.field
      ) : (
        <FormField
          control={form.control}
          name="email"
          label="Email"
          type="email"
          autoComplete="username"
        />
      )}
      <FormField
        control={form.control}
        name="password"
        label="Password"
        type="password"
        autoComplete="current-password"
      />
      <div className="-mt-2 text-right text-sm">
        <Link to="/forgot-password" className="text-brand-700 underline">
          Forgot password?
        </Link>
      </div>
      <Button type="submit" pending={pending}>
        Sign in
      </Button>
    </Form>
  );
}

export default function SignIn() {
  const search = useSearch({ strict: false }) as { redirect?: string };
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return (
    <>
      <h1 className="mb-6 text-xl font-semibold">Sign in to Atrium</h1>
      <SignInForm
        onSignedIn={async () => {
          // Nothing cached for a previous account survives a sign-in.
          queryClient.clear();
          await reloadMe(queryClient);
          await navigate({ href: safeRedirect(search.redirect) ?? "/home" });
        }}
      />
      <SocialButtons returnTo={safeRedirect(search.redirect) ?? undefined} />
      <p className="mt-6 text-center text-sm text-slate-700">
        New to Atrium?{" "}
        <Link to="/sign-up" className="font-medium text-brand-700 underline">
          Sign up
        </Link>
      </p>
    </>
  );
}
