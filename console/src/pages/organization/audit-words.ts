import type { AuditAction } from "../../../../src/audit/audit-events.js";
import type { components } from "../../lib/api";

export type AuditEvent = components["schemas"]["AuditEvent"];

type Metadata = Record<string, unknown>;

/** A string of the metadata, if there is a non-blank one: old events may lack a field. */
function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** Who acted, as the log names them: the account's address, the operator, or Atrium itself. */
export function actorName(event: AuditEvent): string {
  if (event.actor.email) return event.actor.email;
  if (event.actor.type === "system") return event.actor.id ? "The operator" : "Atrium";
  return "Someone";
}

/**
 * The member an event concerns, by the name and address it recorded when written; events
 * written before they carried them say "a member".
 */
function memberName(metadata: Metadata): string {
  return text(metadata.name) ?? text(metadata.email) ?? "a member";
}

function possessive(name: string): string {
  return `${name}'s`;
}

function invitee(metadata: Metadata): string {
  return text(metadata.email) ?? "someone";
}

/** " as admin", or nothing when the role was not recorded. */
function asRole(metadata: Metadata, field = "role"): string {
  const role = text(metadata[field]);
  return role ? ` as ${role}` : "";
}

/** Whether a member event concerns the actor themselves (joining, leaving). */
function isActor(event: AuditEvent): boolean {
  const email = text(event.metadata.email);
  return !email || email.toLowerCase() === event.actor.email?.toLowerCase();
}

const SIGN_IN_FAILURES: Record<string, string> = {
  wrong_password: "wrong password",
  unknown_account: "no such account",
  rate_limited: "too many attempts",
  account_disabled: "the account is disabled",
  oauth_error: "the provider refused",
};

const LOST_AUTHORITY: Record<string, string> = {
  inviter_removed: "its inviter was removed",
  inviter_left: "its inviter left",
  inviter_demoted: "its inviter may no longer grant that role",
  inviter_deleted: "its inviter deleted their account",
};

const ORGANIZATION_FIELDS: Record<string, string> = {
  allowedEmailDomains: "allowed email domains",
};

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

function quoted(value: unknown): string {
  const name = text(value);
  return name ? ` “${name}”` : "";
}

type Sentence = (actor: string, metadata: Metadata, event: AuditEvent) => string;

/**
 * Every action of the server's AUDIT_ACTIONS, as a sentence (the type makes a new action a
 * compile error here until it has one). The order is the Action filter's.
 */
export const SENTENCES: Record<AuditAction, Sentence> = {
  "member.added": (a, m, e) =>
    isActor(e)
      ? `${a} joined${asRole(m)}${m.via === "invitation" ? " through an invitation" : ""}`
      : `${a} added ${memberName(m)}${asRole(m)}`,
  "member.role_changed": (a, m) => {
    const from = text(m.from);
    const to = text(m.to);
    const change = from && to ? ` from ${from} to ${to}` : to ? ` to ${to}` : "";
    return `${a} changed ${possessive(memberName(m))} role${change}`;
  },
  "member.removed": (a, m) => `${a} removed ${memberName(m)}${asRole(m)}`,
  "member.left": (a, m) => `${a} left the organization${m.role ? ` (was ${m.role})` : ""}`,
  "invitation.created": (a, m) =>
    `${a} invited ${invitee(m)}${asRole(m)}${m.delivery === "link" ? " with a link" : ""}`,
  "invitation.resent": (a, m) => `${a} resent the invitation to ${invitee(m)}`,
  "invitation.revoked": (a, m) => {
    const why = LOST_AUTHORITY[String(m.reason)];
    return why
      ? `The invitation to ${invitee(m)} was revoked: ${why}`
      : `${a} revoked the invitation to ${invitee(m)}`;
  },
  "invitation.accepted": (a, m) => `${a} accepted an invitation${asRole(m)}`,
  "invitation.declined": (a, m) => `${a} declined an invitation${asRole(m)}`,
  "organization.created": (a, m) => `${a} created the organization${quoted(m.name)}`,
  "organization.updated": (a, m) => {
    const changed = Array.isArray(m.changed) ? m.changed.map(String) : [];
    const parts = changed.map((field) =>
      field === "name"
        ? `renamed the organization${text(m.name) ? ` to “${m.name}”` : ""}`
        : field === "slug"
          ? `changed the organization's address${text(m.slug) ? ` to ${m.slug}` : ""}`
          : `changed the organization's ${ORGANIZATION_FIELDS[field] ?? field}`,
    );
    return `${a} ${parts.length ? list(parts) : "changed the organization"}`;
  },
  "organization.deleted": (a, m) => `${a} deleted the organization${quoted(m.name)}`,
  "user.signed_up": (a) => `${a} signed up`,
  "user.signed_in": (a, m) =>
    m.method === "reauthenticate"
      ? `${a} confirmed their identity`
      : `${a} signed in${text(m.provider) ? ` with ${m.provider}` : ""}`,
  "user.sign_in_failed": (a, m, e) => {
    const reason = SIGN_IN_FAILURES[String(m.reason)] ?? text(m.reason);
    const who = e.actor.email ? ` as ${a}` : "";
    return `A sign-in${who} failed${reason ? `: ${reason}` : ""}`;
  },
  "user.signed_out": (a) => `${a} signed out`,
  "user.password_changed": (a) => `${a} changed their password`,
  "user.password_reset": (a) => `${a} reset their password`,
  "user.email_change_requested": (a, m) =>
    `${a} asked to change their email${text(m.newEmail) ? ` to ${m.newEmail}` : ""}`,
  "user.email_changed": (a, m) =>
    `${a} changed their email${text(m.from) && text(m.to) ? ` from ${m.from} to ${m.to}` : ""}`,
  "user.email_change_cancelled": (a, m) =>
    `${a} no longer changes their email${text(m.newEmail) ? ` to ${m.newEmail}` : ""}`,
  "user.email_verified": (a) => `${a} verified their email address`,
  "user.updated": (a) => `${a} updated their profile`,
  "user.deleted": (a) => `${a} deleted their account`,
  "user.disabled": (a) => `${a} disabled an account`,
  "user.enabled": (a) => `${a} enabled an account`,
  "session.revoked": (a, m) =>
    m.scope === "others"
      ? `${a} signed out their other sessions`
      : m.scope === "all"
        ? `${a} signed out every session of an account`
        : `${a} ended a session`,
  "api_key.created": (a, m) => `${a} created the API key${quoted(m.name)}`,
  "api_key.revoked": (a, m) => `${a} revoked the API key${quoted(m.name)}`,
  "identity.linked": (a, m) =>
    `${a} linked ${text(m.provider) ? `a ${m.provider} account` : "an account"}`,
  "identity.unlinked": (a, m) =>
    `${a} unlinked ${text(m.provider) ? `a ${m.provider} account` : "an account"}`,
};

export const ACTIONS = Object.keys(SENTENCES) as AuditAction[];

/** The event in words; an action this console does not know yet is shown by its code. */
export function describeEvent(event: AuditEvent): string {
  const sentence = SENTENCES[event.action as AuditAction] as Sentence | undefined;
  if (!sentence) return `${actorName(event)}: ${event.action}`;
  // Not capitalised: most sentences begin with an email address, shown as it is.
  return sentence(actorName(event), event.metadata, event);
}

/** What the event was done to, as a person would name it. */
export function describeTarget(event: AuditEvent): string {
  const { target, metadata } = event;
  if (!target) return "—";
  switch (target.type) {
    case "member":
    case "user":
      if (text(metadata.email)) return metadata.email as string;
      if (target.id === event.actor.id && event.actor.email) return event.actor.email;
      return target.type === "member" ? "A member" : "An account";
    case "invitation":
      return text(metadata.email) ? `Invitation to ${metadata.email}` : "An invitation";
    case "organization":
      return text(metadata.name) ?? "The organization";
    case "api_key":
      return text(metadata.name) ? `API key “${metadata.name}”` : "An API key";
    case "session":
      return "A session";
    case "identity":
      return text(metadata.provider) ? `${metadata.provider} account` : "A linked account";
    default:
      return target.type;
  }
}

/** An action's name for the filter: "member.role_changed" → "Member role changed". */
export function actionLabel(action: string): string {
  const words = action.replace(/[._]/g, " ").replace(/\bapi key\b/, "API key");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
