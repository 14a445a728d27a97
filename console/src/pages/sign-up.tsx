import { useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import type { ReactNode } from "react";
import { Form } from "react-aria-components";
import { api, type components, unwrap } from "../lib/api";
import { useApiForm } from "../lib/form";
import { atLeast, required, z } from "../lib/schema";
import { reloadMe } from "../lib/session";
import { Banner } from "../ui/Banner";
import { Button } from "../ui/Button";
import { FormField } from "../ui/FormField";
import { SocialButtons } from "./social-sign-in";

const schema = z.object({
  name: required("Enter your name."),
  email: required("Enter your email address."),
  password: atLeast(8, "Use at least 8 characters."),
});

type User = components["schemas"]["User"];

/**
 * The new-account form. With `invitation` the account joins that invitation's organization;
 * `fixedEmail` (the invited address) is then shown read-only.
 */
export function SignUpForm({
  invitation,
  fixedEmail,
  onSignedUp,
}: {
  invitation?: string | undefined;
  /** An address the person may not change (an invitation's), and the field that shows it. */
  fixedEmail?: { email: string; field: ReactNode };
  /** `joinedSlug`: the organization an invitation let the account into, where it should land. */
  onSignedUp: (user: User, joinedSlug: string | undefined) => Promise<void>;
}) {
  const { form, onSubmit, formError, pending } = useApiForm(
    schema,
    { name: "", email: fixedEmail?.email ?? "", password: "" },
    async (values) => {
      const body = invitation ? { ...values, invitationToken: invitation } : values;
      const { user, joined } = await unwrap(api.POST("/api/v1/auth/sign-up", { body }));
      await onSignedUp(user, joined?.organization.slug);
    },
  );
  return (
    <Form onSubmit={onSubmit} className="flex flex-col gap-4" validationBehavior="aria">
      {formError && <Banner tone="error">{formError}</Banner>}
      <FormField control={form.control} name="name" label="Name" autoComplete="name" />
      {fixedEmail ? (
        fixedEmail.field
      ) : (
        <FormField
          control={form.control}
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
        />
      )}
      <FormField
        control={form.control}
        name="password"
        label="Password"
        type="password"
        autoComplete="new-password"
        description="At least 8 characters; a passphrase of a few words is best."
      />
      <Button type="submit" pending={pending}>
        Sign up
      </Button>
    </Form>
  );
}

export default function SignUp() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  // From an invitation link: the account joins that organization (and may sign up at all).
  const { invitation } = useSearch({ strict: false }) as { invitation?: string };
  return (
    <>
      <h1 className="mb-6 text-xl font-semibold">Create your account</h1>
      {invitation && (
        <p className="mb-4 text-sm text-slate-700">
          Use the address the invitation was sent to, and you join its organization.
        </p>
      )}
      <SignUpForm
        invitation={invitation}
        onSignedUp={async (_user, joinedSlug) => {
          queryClient.clear();
          await reloadMe(queryClient);
          await navigate({ href: joinedSlug ? `/o/${joinedSlug}` : "/home" });
        }}
      />
      <SocialButtons invitation={invitation} returnTo={invitation ? "/home" : "/welcome"} />
      <p className="mt-6 text-center text-sm text-slate-700">
        Already have an account?{" "}
        <Link to="/" className="font-medium text-brand-700 underline">
          Sign in
        </Link>
      </p>
    </>
  );
}
