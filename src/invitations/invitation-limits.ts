import type { Tx } from "../db/transaction.js";
import { fail } from "../lib/errors.js";
import { POLICIES, takeAttempt, takeQuota } from "../rate-limit/rate-limit.js";

/**
 * How much one person and one organization may invite, and how often one address may be
 * emailed: without these, any new account could make the instance send its text to
 * arbitrary addresses (security review, issue 7 item 4). The numbers are in POLICIES.
 *
 * Every count is taken inside the invitation's transaction, so an invitation that is not
 * created (a rollback) costs nothing. Keys are locked in one order across a transaction —
 * `invite:by:` and `invite:org:` first, then `invite:resend:`, then `invite:to:` by address —
 * so two requests never wait on each other's keys the other way round.
 */

/**
 * Takes room for up to `wanted` invitations from the inviter's and the organization's hourly
 * and daily budgets; returns how many fit. None fitting is 429 for the whole request.
 */
export async function takeInvitationBudget(
  tx: Tx,
  by: { inviterUserId: string; organizationId: string },
  wanted: number,
  now: Date,
): Promise<number> {
  if (wanted === 0) return 0;
  const { granted, retryAfter } = await takeQuota(
    tx.db,
    [
      { key: `invite:by:${by.inviterUserId}:h`, policy: POLICIES.invitationsPerInviterHour },
      { key: `invite:by:${by.inviterUserId}:d`, policy: POLICIES.invitationsPerInviterDay },
      { key: `invite:org:${by.organizationId}:h`, policy: POLICIES.invitationsPerOrganizationHour },
      { key: `invite:org:${by.organizationId}:d`, policy: POLICIES.invitationsPerOrganizationDay },
    ],
    wanted,
    now,
  );
  if (granted === 0) {
    throw fail(
      "rate_limited",
      "You or this organization sent too many invitations recently; try again later.",
      { retryAfter },
    );
  }
  return granted;
}

/**
 * Which of these new invitations a person may send now, in order; the rest are refused (the
 * budgets ran out part way, or an address had its share of invitation emails today).
 */
export async function withinInvitationLimits<T extends { canonical: string }>(
  tx: Tx,
  by: { inviterUserId: string; organizationId: string },
  candidates: T[],
  delivery: "email" | "link",
  now: Date,
): Promise<{ allowed: T[]; refused: T[] }> {
  const granted = await takeInvitationBudget(tx, by, candidates.length, now);
  const refused = candidates.slice(granted);
  let allowed = candidates.slice(0, granted);
  if (delivery === "email") {
    const full = new Set<string>();
    // In address order: the recipients' keys are locked in one order.
    for (const { canonical } of [...allowed].sort((a, b) => (a.canonical < b.canonical ? -1 : 1))) {
      if (!(await mayEmailInvitee(tx, canonical, now)).allowed) full.add(canonical);
    }
    refused.push(...allowed.filter((c) => full.has(c.canonical)));
    allowed = allowed.filter((c) => !full.has(c.canonical));
  }
  return { allowed, refused };
}

/** Counts one invitation email to this canonical address, unless it already had its share today. */
export async function mayEmailInvitee(tx: Tx, emailCanonical: string, now: Date) {
  return takeAttempt(
    tx.db,
    [{ key: `invite:to:${emailCanonical}`, policy: POLICIES.invitationEmailsPerRecipient }],
    now,
  );
}

/**
 * Resending one invitation by email: the first resend goes at once, later ones wait a delay
 * that doubles; and the address's daily share applies as to a new invitation. 429 otherwise.
 */
export async function limitInvitationResend(
  tx: Tx,
  invitation: { id: string; email_canonical: string },
  now: Date,
): Promise<void> {
  const resend = await takeAttempt(
    tx.db,
    [{ key: `invite:resend:${invitation.id}`, policy: POLICIES.invitationResends }],
    now,
  );
  if (!resend.allowed) {
    throw fail("rate_limited", "This invitation was resent moments ago; try again later.", {
      retryAfter: resend.retryAfter,
    });
  }
  const recipient = await mayEmailInvitee(tx, invitation.email_canonical, now);
  if (!recipient.allowed) {
    throw fail(
      "rate_limited",
      "This address has received as many invitations as it may today; try again later.",
      { retryAfter: recipient.retryAfter },
    );
  }
}
