import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import { ApiError } from "../../lib/api";
import { errorMessage } from "../../lib/errors";

/** The API takes at most this many addresses in one request (MAX_INVITATIONS_PER_REQUEST). */
export const MAX_ADDRESSES = 100;

/** The query keys of the organization's invitations: every page of the list starts with it. */
export const invitationsKey = (slug: string) => ["organization", slug, "invitations"] as const;

export const DELIVERY_NAMES = { email: "Email", link: "Link" } as const;

/**
 * The addresses in what a person pasted: split on commas, semicolons and any space. A list
 * copied from a mail program (`"Smith, Alice" <alice@acme.com>; Bob <bob@acme.com>`) gives its
 * addresses, not the names around them.
 */
export function splitAddresses(text: string): string[] {
  return (
    text
      // A quoted name, then the unquoted words of a name (none has an "@"), before "<address>".
      .replace(/"[^"]*"\s*(?=<)/g, " ")
      .replace(/(?<=^|[\s,;])(?:[^\s,;<>@]+[ \t]+)*<([^<>\s]*)>/g, " $1 ")
      .split(/[\s,;]+/)
      .filter((piece) => piece !== "")
  );
}

/** Why an address was not invited, in words, for each rejection code of the API. */
export function refusalReason(code: string, slug: string, allowedDomains: string[]): ReactNode {
  switch (code) {
    case "invalid_email":
      return "Not a valid email address";
    case "duplicate":
      return "Listed twice";
    case "domain_not_allowed":
      return allowedDomains.length > 0
        ? `Its domain is not one of the organization's allowed email domains (${allowedDomains.join(", ")})`
        : "Its domain is not allowed in this organization";
    case "already_member":
      return "Already a member";
    case "already_invited":
      return (
        <>
          Already invited — resend it from{" "}
          <Link
            to="/o/$slug/settings/invitations"
            params={{ slug }}
            className="font-medium text-brand-700 underline"
          >
            Invitations
          </Link>
        </>
      );
    case "rate_limited":
      return "Too many invitations for now: try this address again later";
    default:
      return `Not invited (${code})`;
  }
}

/**
 * The sentence for an invite or resend the API refused as a whole. An inviter whose own address
 * is not verified may not have Atrium email strangers in their name: they verify, or use a link.
 */
export function invitationError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "email_not_verified")
      return "Verify your own email address before Atrium sends invitations by email: open the link we sent you (the banner at the top of the page sends a new one). Until then, choose Generate invitation link and pass the links on yourself.";
    if (error.code === "forbidden")
      return "Your role does not allow this invitation. Owners invite any role; admins invite admins and members.";
    if (error.code === "not_found")
      return "This invitation is no longer pending: it was accepted, declined or revoked meanwhile.";
    if (error.code === "rate_limited" && !error.retryAfter)
      return "Too many invitations for now. Try again later.";
  }
  return errorMessage(error);
}
