import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "@tanstack/react-router";
import { useId, useState } from "react";
import {
  FieldError,
  Form,
  Label,
  Radio,
  RadioGroup,
  Text,
  TextArea,
  TextField,
} from "react-aria-components";
import { Controller } from "react-hook-form";
import { ApiError, api, unwrap } from "../../lib/api";
import { useApiForm } from "../../lib/form";
import { ReauthenticationCancelled, useFresh } from "../../lib/fresh";
import { mayGrant, organizationQuery, ROLE_NAMES, type Role } from "../../lib/organization";
import { z } from "../../lib/schema";
import { Banner } from "../../ui/Banner";
import { Button } from "../../ui/Button";
import { type InviteAnswer, InviteResult } from "./invitation-result";
import { invitationError, invitationsKey, MAX_ADDRESSES, splitAddresses } from "./invitation-words";

type Delivery = InviteAnswer["delivery"];
type Created = Awaited<ReturnType<typeof sendInvitations>>;

const ROLES: Role[] = ["member", "admin", "owner"];

const schema = z.object({
  emails: z.string().check(
    z.refine((text) => splitAddresses(text).length > 0, "Enter at least one email address."),
    z.refine(
      (text) => splitAddresses(text).length <= MAX_ADDRESSES,
      `At most ${MAX_ADDRESSES} addresses at a time: send the first ${MAX_ADDRESSES}, then the rest.`,
    ),
  ),
  role: z.enum(["owner", "admin", "member"]),
  delivery: z.enum(["email", "link"]),
});

function sendInvitations(slug: string, body: { emails: string[]; role: Role; delivery: Delivery }) {
  return unwrap(
    api.POST("/api/v1/organizations/{org}/invitations", { params: { path: { org: slug } }, body }),
  );
}

/** The addresses to leave in the box: the refused ones, for correction (not a twin of one invited). */
function refusedAddresses(answer: InviteAnswer): string[] {
  const invited = new Set(answer.invitations.map((i) => i.email.toLowerCase()));
  return answer.rejected
    .filter((r) => !(r.code === "duplicate" && invited.has(r.email.toLowerCase())))
    .map((r) => r.email);
}

/** The API's refusal, reworded for this page (the form shows an error's message). */
function inWords(error: unknown): unknown {
  if (!(error instanceof ApiError)) return error;
  return new ApiError(
    error.status,
    error.code,
    invitationError(error),
    error.details,
    error.retryAfter,
  );
}

/** Invite many addresses at once, by email or by link, and see what became of each. */
export default function InvitePage() {
  const { slug } = useParams({ strict: false }) as { slug: string };
  const organization = useQuery(organizationQuery(slug));
  const queryClient = useQueryClient();
  const fresh = useFresh();
  const [answer, setAnswer] = useState<InviteAnswer | null>(null);
  const myRole = organization.data?.myRole ?? "member";
  const grantable = ROLES.filter((role) => mayGrant(myRole, role));

  const { form, onSubmit, formError, pending } = useApiForm<z.infer<typeof schema>>(
    schema,
    { emails: "", role: "member", delivery: "email" },
    async ({ emails, role, delivery }) => {
      let result: Created;
      try {
        result = await fresh(() =>
          sendInvitations(slug, { emails: splitAddresses(emails), role, delivery }),
        );
      } catch (error) {
        if (error instanceof ReauthenticationCancelled) return;
        throw inWords(error);
      }
      const next = { ...result, delivery };
      setAnswer(next);
      form.setValue("emails", refusedAddresses(next).join("\n"));
      await queryClient.invalidateQueries({ queryKey: invitationsKey(slug) });
    },
  );
  const emailsText = form.watch("emails");
  const delivery = form.watch("delivery");
  const count = splitAddresses(emailsText ?? "").length;
  const roleHelp = useId();
  const roleSelect = useId();

  return (
    <div className="flex flex-col gap-8">
      <section aria-labelledby="invite-title" className="flex max-w-xl flex-col gap-4">
        <h2 id="invite-title" className="text-lg font-semibold">
          Invite people
        </h2>
        <Form onSubmit={onSubmit} className="flex flex-col gap-5" validationBehavior="aria">
          {formError && <Banner tone="error">{formError}</Banner>}
          <Controller
            control={form.control}
            name="emails"
            render={({ field, fieldState }) => (
              <TextField
                name={field.name}
                value={field.value}
                onChange={field.onChange}
                onBlur={field.onBlur}
                isInvalid={!!fieldState.error}
                validationBehavior="aria"
                className="flex flex-col gap-1"
              >
                <Label className="text-sm font-medium text-slate-800">Email addresses</Label>
                <TextArea
                  ref={field.ref}
                  rows={5}
                  spellCheck={false}
                  autoCapitalize="none"
                  className="rounded-md border border-slate-400 bg-white px-3 py-2 font-mono text-sm text-slate-900 data-[invalid]:border-danger-700"
                />
                <Text slot="description" className="text-xs text-slate-600">
                  Paste or type the addresses, separated by commas, spaces, semicolons or new lines.
                  Up to {MAX_ADDRESSES} at a time
                  {count > 0 ? ` (${count} ${count === 1 ? "address" : "addresses"} now).` : "."}
                </Text>
                <FieldError className="text-sm text-danger-700">
                  {fieldState.error?.message}
                </FieldError>
              </TextField>
            )}
          />
          <Controller
            control={form.control}
            name="role"
            render={({ field }) => (
              <div className="flex flex-col gap-1">
                {/* Labelled by `for`, not by wrapping: a wrapping label would fold the chosen
                    option into the select's name ("Role Member"). */}
                <label htmlFor={roleSelect} className="text-sm font-medium text-slate-800">
                  Role
                </label>
                <select
                  {...field}
                  id={roleSelect}
                  aria-describedby={roleHelp}
                  className="rounded-md border border-slate-400 bg-white px-3 py-2 text-sm text-slate-900 sm:max-w-xs"
                >
                  {grantable.map((role) => (
                    <option key={role} value={role}>
                      {ROLE_NAMES[role]}
                    </option>
                  ))}
                </select>
                <p id={roleHelp} className="text-xs text-slate-600">
                  Members use the organization; admins also manage its settings, members and
                  invitations; owners may do everything, including deleting it.
                </p>
              </div>
            )}
          />
          <Controller
            control={form.control}
            name="delivery"
            render={({ field }) => (
              <RadioGroup
                value={field.value}
                onChange={field.onChange}
                name={field.name}
                className="flex flex-col gap-2"
              >
                <Label className="text-sm font-medium text-slate-800">Delivery</Label>
                <DeliveryChoice value="email" title="Send email">
                  Atrium emails each address its link.
                </DeliveryChoice>
                <DeliveryChoice value="link" title="Generate invitation link">
                  You get one link per address, to pass on yourself.
                </DeliveryChoice>
              </RadioGroup>
            )}
          />
          <Button type="submit" pending={pending} className="self-start">
            {delivery === "link" ? "Generate links" : "Send invitations"}
          </Button>
        </Form>
      </section>
      {answer && (
        <InviteResult
          slug={slug}
          answer={answer}
          allowedDomains={organization.data?.allowedEmailDomains ?? []}
        />
      )}
    </div>
  );
}

/** A radio named by its title, with a sentence on what it does under it. */
function DeliveryChoice({
  value,
  title,
  children,
}: {
  value: Delivery;
  title: string;
  children: string;
}) {
  const help = useId();
  return (
    <div className="flex flex-col gap-0.5 text-sm">
      <Radio
        value={value}
        aria-describedby={help}
        className="group flex cursor-pointer items-center gap-3 font-medium text-slate-900"
      >
        <span
          aria-hidden="true"
          className="flex size-4 shrink-0 items-center justify-center rounded-full border border-slate-500 bg-white group-data-[selected]:border-brand-700 group-data-[focus-visible]:outline-2 group-data-[focus-visible]:outline-offset-2 group-data-[focus-visible]:outline-brand-600"
        >
          <span className="hidden size-2 rounded-full bg-brand-700 group-data-[selected]:block" />
        </span>
        {title}
      </Radio>
      <p id={help} className="ml-7 text-slate-700">
        {children}
      </p>
    </div>
  );
}
