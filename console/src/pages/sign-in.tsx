import { useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { Form } from "react-aria-components";
import { api, unwrap } from "../lib/api";
import { useApiForm } from "../lib/form";
import { atLeast, required, z } from "../lib/schema";
import { safeRedirect } from "../lib/session";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { FormField } from "../ui/FormField";
import { SocialButtons } from "./social-sign-in";

const schema = z.object({
  email: required("Enter your email address."),
  password: atLeast(1, "Enter your password."),
});

export default function SignIn() {
  const search = useSearch({ strict: false }) as { redirect?: string };
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { form, onSubmit, formError, pending } = useApiForm(
    schema,
    { email: "", password: "" },
    async (values) => {
      await unwrap(api.POST("/api/v1/auth/sign-in", { body: values }));
      // Nothing cached for a previous account survives a sign-in; the shell reads /me afresh.
      queryClient.clear();
      await navigate({ href: safeRedirect(search.redirect) ?? "/home" });
    },
  );
  return (
    <>
      <h1 className="mb-6 text-xl font-semibold">Sign in to Atrium</h1>
      <Form onSubmit={onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
        {formError && <Banner tone="error">{formError}</Banner>}
        <FormField
          control={form.control}
          name="email"
          label="Email"
          type="email"
          autoComplete="username"
        />
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
