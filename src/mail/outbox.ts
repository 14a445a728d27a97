import type { Tx } from "../db/transaction.js";
import { newId } from "../lib/ids.js";
import { emails } from "../metrics/metrics.js";
import { insertOutboxEmail, notifyOutbox } from "./outbox.queries.js";

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Queues an email in the caller's transaction: it exists exactly when the change that causes
 * it has committed, and the outbox worker delivers it from there, whatever happens to this
 * process.
 */
export async function enqueueEmail(tx: Tx, message: EmailMessage, now: Date): Promise<void> {
  if (/[\r\n]/.test(message.to) || /[\r\n]/.test(message.subject)) {
    // Header injection guard: addresses and subjects are single lines by construction.
    throw new Error("email header contains a line break");
  }
  await insertOutboxEmail(tx.db, {
    id: newId("msg", now.getTime()),
    to_address: message.to,
    subject: message.subject,
    text_body: message.text,
    html_body: message.html,
    next_attempt_at: now,
    locked_until: null,
    last_error: null,
    created_at: now,
    sent_at: null,
  });
  tx.afterCommit(() => emails.inc({ event: "queued" }));
  // Delivered on commit: wakes the worker of every process at once instead of at its next poll.
  await notifyOutbox(tx.db);
}

/**
 * The Message-ID of an outbox row: the same on every attempt, so that a receiver can drop
 * the copy a retry may send after a crash between the server's acceptance and our record of it.
 */
export function messageIdFor(emailId: string, publicUrl: string): string {
  return `<${emailId}@${new URL(publicUrl).hostname}>`;
}
