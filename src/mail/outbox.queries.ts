import { type Insertable, type Kysely, sql, type Transaction, type Updateable } from "kysely";
import type { DB, OutboxEmailsTable } from "../db/schema.js";

type Executor = Kysely<DB> | Transaction<DB>;

/** A claimed message: what sending it needs, and which claim this is. */
export interface ClaimedEmail {
  id: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  /** Counts claims: it versions this claim against later ones. */
  attempts: number;
}

export async function insertOutboxEmail(
  db: Executor,
  row: Insertable<OutboxEmailsTable>,
): Promise<void> {
  await db.insertInto("outbox_emails").values(row).execute();
}

/** Wakes the outbox worker of every process (delivered on commit inside a transaction). */
export async function notifyOutbox(db: Executor): Promise<void> {
  await sql`SELECT pg_notify('atrium_outbox', '')`.execute(db);
}

/**
 * Claims the message due first until `lockedUntil`, counting the attempt. SKIP LOCKED lets
 * several processes share the outbox without waiting on each other's claims.
 */
export async function claimDueEmail(
  db: Executor,
  now: Date,
  lockedUntil: Date,
): Promise<ClaimedEmail | undefined> {
  const result = await sql<ClaimedEmail>`
    UPDATE outbox_emails SET locked_until = ${lockedUntil}, attempts = attempts + 1
    WHERE id = (
      SELECT id FROM outbox_emails
      WHERE status = 'pending' AND next_attempt_at <= ${now}
        AND (locked_until IS NULL OR locked_until <= ${now})
      ORDER BY next_attempt_at
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id, to_address, subject, text_body, html_body, attempts`.execute(db);
  return result.rows[0];
}

/**
 * Changes a claimed message only while this claim is still the latest: a newer claim (more
 * attempts) belongs to another worker, and a sent message stays sent.
 */
export async function updateClaimedEmail(
  db: Executor,
  claim: Pick<ClaimedEmail, "id" | "attempts">,
  changes: Updateable<OutboxEmailsTable>,
): Promise<void> {
  await db
    .updateTable("outbox_emails")
    .set(changes)
    .where("id", "=", claim.id)
    .where("status", "=", "pending")
    .where("attempts", "=", claim.attempts)
    .execute();
}

/** Marks a message sent and empties its body: it held a link with a live token. */
export async function markEmailSent(db: Executor, id: string, now: Date): Promise<void> {
  await db
    .updateTable("outbox_emails")
    .set({
      status: "sent",
      sent_at: now,
      locked_until: null,
      last_error: null,
      text_body: "",
      html_body: "",
    })
    .where("id", "=", id)
    .execute();
}

export async function countPendingEmails(db: Executor): Promise<number> {
  const row = await db
    .selectFrom("outbox_emails")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("status", "=", "pending")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteEmailsSentBefore(db: Executor, before: Date): Promise<void> {
  await db
    .deleteFrom("outbox_emails")
    .where("status", "=", "sent")
    .where("sent_at", "<", before)
    .execute();
}
