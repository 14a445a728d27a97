import { escapeHtml } from "../lib/html.js";
import type { EmailMessage } from "./outbox.js";

interface Paragraphs {
  to: string;
  subject: string;
  greeting: string;
  lines: string[];
  action?: { label: string; url: string };
  footer?: string;
}

/** One layout for every email: the plain text and the HTML say the same, names are escaped. */
function compose(p: Paragraphs): EmailMessage {
  const text = [
    p.greeting,
    "",
    ...p.lines.flatMap((line) => [line, ""]),
    ...(p.action ? [`${p.action.label}: ${p.action.url}`, ""] : []),
    p.footer ?? "If you did not expect this email, you can ignore it.",
  ].join("\n");
  const html = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">
<p>${escapeHtml(p.greeting)}</p>
${p.lines.map((line) => `<p>${escapeHtml(line)}</p>`).join("\n")}
${p.action ? `<p><a href="${escapeHtml(p.action.url)}">${escapeHtml(p.action.label)}</a></p>\n<p style="color:#666;font-size:small">${escapeHtml(p.action.url)}</p>` : ""}
<p style="color:#666;font-size:small">${escapeHtml(p.footer ?? "If you did not expect this email, you can ignore it.")}</p>
</body></html>`;
  return { to: p.to, subject: p.subject, text, html };
}

/**
 * A name that people chose, as text no mail client turns into a link: "://" becomes "[://]"
 * and a dot between letters or digits "[.]" (the usual defanging). Otherwise a name or an
 * organization called "https://evil.example" would arrive as a clickable link in an email
 * that the instance signed, to an address the namer chose (security review, issue 7 item 4).
 */
export function plainName(name: string): string {
  return name
    .replace(/:\/\//g, "[://]")
    .replace(/(?<=[\p{L}\p{N}])[.\uFF0E\u3002\uFF61](?=[\p{L}\p{N}])/gu, "[.]");
}

const hello = (name: string) => `Hello ${plainName(name)},`;

export function verificationEmail(to: string, name: string, url: string): EmailMessage {
  return compose({
    to,
    subject: "Verify your email address",
    greeting: hello(name),
    lines: ["Please confirm that this is your email address for Atrium."],
    action: { label: "Verify email address", url },
  });
}

export function emailChangeConfirmation(to: string, name: string, url: string): EmailMessage {
  return compose({
    to,
    subject: "Confirm your new email address",
    greeting: hello(name),
    lines: [
      "You asked to use this address for your Atrium account. The change applies once you confirm it.",
    ],
    action: { label: "Confirm new email address", url },
  });
}

export function emailChangeNotice(to: string, name: string, newEmail: string): EmailMessage {
  return compose({
    to,
    subject: "Your email address is being changed",
    greeting: hello(name),
    lines: [
      `Someone signed in to your Atrium account asked to change its email address to ${newEmail}.`,
      "If this was not you, change your password and sign out your other sessions.",
    ],
    footer: "This is a security notice; no action is needed if you made the change.",
  });
}

export function emailChangedNotice(to: string, name: string, newEmail: string): EmailMessage {
  return compose({
    to,
    subject: "Your email address was changed",
    greeting: hello(name),
    lines: [
      `Your Atrium account now uses ${newEmail}. This address will no longer receive its email.`,
    ],
    footer: "This is a security notice.",
  });
}

export function passwordResetEmail(to: string, name: string, url: string): EmailMessage {
  return compose({
    to,
    subject: "Reset your password",
    greeting: hello(name),
    lines: [
      "Someone asked to reset the password of your Atrium account. The link works once, for one hour.",
    ],
    action: { label: "Choose a new password", url },
    footer: "If you did not ask for this, ignore this email: your password stays as it is.",
  });
}

export function passwordChangedNotice(
  to: string,
  name: string,
  how: "changed" | "reset",
): EmailMessage {
  return compose({
    to,
    subject: how === "reset" ? "Your password was reset" : "Your password was changed",
    greeting: hello(name),
    lines: [
      how === "reset"
        ? "The password of your Atrium account was reset, and every session was signed out."
        : "The password of your Atrium account was changed.",
      "If this was not you, reset your password now.",
    ],
    footer: "This is a security notice.",
  });
}

export function invitationEmail(
  to: string,
  invite: {
    organizationName: string;
    inviterName: string;
    role: string;
    url: string;
    expiresAt: Date;
  },
): EmailMessage {
  return compose({
    to,
    subject: "You are invited to join an organization on Atrium",
    greeting: "Hello,",
    lines: [
      `${plainName(invite.inviterName)} invited you to join ${plainName(invite.organizationName)} as ${invite.role === "member" ? "a member" : `an ${invite.role}`}.`,
      `The invitation works until ${invite.expiresAt.toUTCString()}.`,
    ],
    action: { label: "Review the invitation", url: invite.url },
    footer: "If you were not expecting this invitation, you can ignore this email.",
  });
}

export function apiKeyCreatedNotice(
  to: string,
  name: string,
  keyName: string,
  prefix: string,
): EmailMessage {
  return compose({
    to,
    subject: "A new API key was created for your account",
    greeting: hello(name),
    lines: [
      `An API key named "${plainName(keyName)}" (starting ${prefix}) was created for your Atrium account.`,
      "If this was not you, revoke it, change your password and sign out your other sessions.",
    ],
    footer: "This is a security notice.",
  });
}
