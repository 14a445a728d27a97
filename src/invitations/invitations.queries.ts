import type { Kysely, Transaction } from "kysely";
import type { DB, InvitationRow } from "../db/schema.js";

type Executor = Kysely<DB> | Transaction<DB>;

/** An invitation with what answering it needs to know of its organization. */
function invitationsWithOrganization(db: Executor) {
  return db
    .selectFrom("invitations as i")
    .innerJoin("organizations as o", "o.id", "i.organization_id")
    .selectAll("i")
    .select([
      "o.name as organization_name",
      "o.slug as organization_slug",
      "o.allowed_email_domains",
    ]);
}

export function findInvitationByTokenHash(db: Executor, tokenHash: string) {
  return invitationsWithOrganization(db).where("i.token_hash", "=", tokenHash).executeTakeFirst();
}

export type InvitationWithOrganization = NonNullable<
  Awaited<ReturnType<typeof findInvitationByTokenHash>>
>;

/** A pending invitation addressed to this canonical email, by id (the invitee's own list). */
export function findPendingInvitationForEmail(db: Executor, id: string, emailCanonical: string) {
  return invitationsWithOrganization(db)
    .where("i.id", "=", id)
    .where("i.email_canonical", "=", emailCanonical)
    .where("i.status", "=", "pending")
    .executeTakeFirst();
}

export function findInvitationInOrganization(db: Executor, organizationId: string, id: string) {
  return db
    .selectFrom("invitations")
    .selectAll()
    .where("organization_id", "=", organizationId)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** Inserts unless a pending invitation for the address exists (the partial unique index decides). */
export async function insertInvitationIfNone(db: Executor, row: InvitationRow): Promise<boolean> {
  const inserted = await db
    .insertInto("invitations")
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(["organization_id", "email_canonical"])
        .where("status", "=", "pending")
        .doNothing(),
    )
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Pending invitations past their expiry stop counting as pending, so the address can be invited again. */
export async function expireStaleInvitations(
  db: Executor,
  organizationId: string,
  emails: string[],
  now: Date,
): Promise<void> {
  if (emails.length === 0) return;
  await db
    .updateTable("invitations")
    .set({ status: "expired" })
    .where("organization_id", "=", organizationId)
    .where("email_canonical", "in", emails)
    .where("status", "=", "pending")
    .where("expires_at", "<=", now)
    .execute();
}

/**
 * Moves a pending, unexpired invitation to its answer. One guarded UPDATE: of many requests
 * racing to accept one invitation exactly one gets the row back, so one membership results.
 */
export function claimInvitation(
  db: Executor,
  id: string,
  status: "accepted" | "declined" | "revoked",
  now: Date,
) {
  return db
    .updateTable("invitations")
    .set({ status, responded_at: now })
    .where("id", "=", id)
    .where("status", "=", "pending")
    .where("expires_at", ">", now)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Revokes a pending invitation, expired or not (an expired one can still be resent). Guarded
 * like a claim: of a revocation racing an acceptance, one wins. Undefined when it lost.
 */
export function revokePendingInvitation(db: Executor, id: string, now: Date) {
  return db
    .updateTable("invitations")
    .set({ status: "revoked", responded_at: now })
    .where("id", "=", id)
    .where("status", "=", "pending")
    .returning("id")
    .executeTakeFirst();
}

export function listPendingInvitations(
  db: Executor,
  organizationId: string,
  page: { limit: number; afterId?: string | undefined; now: Date },
) {
  let query = db
    .selectFrom("invitations")
    .selectAll()
    .where("organization_id", "=", organizationId)
    .where("status", "=", "pending")
    .where("expires_at", ">", page.now);
  if (page.afterId) query = query.where("id", ">", page.afterId);
  return query.orderBy("id").limit(page.limit).execute();
}

export function listInvitationsForEmail(
  db: Executor,
  emailCanonical: string,
  page: {
    limit: number;
    afterId?: string | undefined;
    now: Date;
    onlyOrganizationId?: string | null | undefined;
  },
) {
  let query = db
    .selectFrom("invitations as i")
    .innerJoin("organizations as o", "o.id", "i.organization_id")
    .select([
      "i.id",
      "i.role",
      "i.invited_by_name",
      "i.expires_at",
      "o.id as organization_id",
      "o.name as organization_name",
    ])
    .where("i.email_canonical", "=", emailCanonical)
    .where("i.status", "=", "pending")
    .where("i.expires_at", ">", page.now);
  if (page.onlyOrganizationId)
    query = query.where("i.organization_id", "=", page.onlyOrganizationId);
  if (page.afterId) query = query.where("i.id", ">", page.afterId);
  return query.orderBy("i.id").limit(page.limit).execute();
}

/**
 * Which of these canonical emails already belong to members of the organization, and which
 * have a pending invitation to it (expired ones included: expireStaleInvitations runs first).
 */
export async function findTakenEmails(
  db: Executor,
  organizationId: string,
  emails: string[],
): Promise<{ members: Set<string>; invited: Set<string> }> {
  if (emails.length === 0) return { members: new Set(), invited: new Set() };
  const members = await db
    .selectFrom("organization_members as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select("u.email_canonical")
    .where("m.organization_id", "=", organizationId)
    .where("u.email_canonical", "in", emails)
    .execute();
  const invited = await db
    .selectFrom("invitations")
    .select("email_canonical")
    .where("organization_id", "=", organizationId)
    .where("email_canonical", "in", emails)
    .where("status", "=", "pending")
    .execute();
  const canonical = (rows: Array<{ email_canonical: string }>) =>
    new Set(rows.map((r) => r.email_canonical));
  return { members: canonical(members), invited: canonical(invited) };
}

/** A new token and expiry for a pending invitation (a resend); undefined once it is answered. */
export function renewInvitationToken(
  db: Executor,
  id: string,
  changes: Pick<InvitationRow, "token_hash" | "expires_at">,
) {
  return db
    .updateTable("invitations")
    .set(changes)
    .where("id", "=", id)
    .where("status", "=", "pending")
    .returningAll()
    .executeTakeFirst();
}

/**
 * Locks the pending invitations (expired ones too: they can still be resent) that an account
 * sent, in one organization or in all, in id order.
 */
export function lockPendingInvitationsFrom(
  db: Transaction<DB>,
  inviterUserId: string,
  organizationId?: string,
) {
  let query = db
    .selectFrom("invitations")
    .select(["id", "organization_id", "email", "role"])
    .where("invited_by_user_id", "=", inviterUserId)
    .where("status", "=", "pending");
  if (organizationId) query = query.where("organization_id", "=", organizationId);
  return query.orderBy("id").forUpdate().execute();
}
