import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Logger } from "pino";
import type { Notifications } from "../db/database.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../lib/request-meta.js";
import { emails } from "../metrics/metrics.js";
import type { MailTransport } from "./transports.js";

const BATCH = 10;
const CLAIM_MS = 60_000;
const POLL_MS = 2_000;
/** About four days of retries with the backoff below before a message is marked failed. */
export const MAX_ATTEMPTS = 100;

/** Exponential backoff from 5 s, capped at one hour, with jitter so workers do not align. */
export function retryDelayMs(attempts: number): number {
  const base = Math.min(5_000 * 2 ** (attempts - 1), 3_600_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export interface OutboxWorker {
  start(): void;
  stop(): Promise<void>;
  /** Sends everything that is due now; resolves when the outbox has nothing due. */
  drain(): Promise<void>;
}

export function createOutboxWorker(deps: {
  db: Kysely<DB>;
  transport: MailTransport;
  notifications: Notifications;
  logger: Logger;
  clock: Clock;
  from: string;
}): OutboxWorker {
  const { db, transport, logger, clock } = deps;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  async function claim(): Promise<
    Array<{
      id: string;
      to_address: string;
      subject: string;
      text_body: string;
      html_body: string;
      attempts: number;
    }>
  > {
    const now = clock.now();
    // SKIP LOCKED lets several processes drain one outbox without sending a message twice.
    const result = await sql<{
      id: string;
      to_address: string;
      subject: string;
      text_body: string;
      html_body: string;
      attempts: number;
    }>`
      UPDATE outbox_emails SET locked_until = ${new Date(now.getTime() + CLAIM_MS)}, attempts = attempts + 1
      WHERE id IN (
        SELECT id FROM outbox_emails
        WHERE status = 'pending' AND next_attempt_at <= ${now}
          AND (locked_until IS NULL OR locked_until <= ${now})
        ORDER BY next_attempt_at
        LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING id, to_address, subject, text_body, html_body, attempts`.execute(db);
    return result.rows;
  }

  async function deliverDue(): Promise<void> {
    for (;;) {
      const batch = await claim();
      if (batch.length === 0) return;
      for (const message of batch) {
        try {
          await transport.send({
            from: deps.from,
            to: message.to_address,
            subject: message.subject,
            text: message.text_body,
            html: message.html_body,
          });
          await db
            .updateTable("outbox_emails")
            // The body held a link with a live token: it has no business in the table any more.
            .set({
              status: "sent",
              sent_at: clock.now(),
              locked_until: null,
              last_error: null,
              text_body: "",
              html_body: "",
            })
            .where("id", "=", message.id)
            .execute();
          emails.inc({ event: "sent" });
        } catch (error) {
          emails.inc({ event: "failed" });
          const failed = message.attempts >= MAX_ATTEMPTS;
          const reason = error instanceof Error ? error.message : String(error);
          logger.warn(
            { emailId: message.id, attempts: message.attempts, err: reason },
            "email delivery failed",
          );
          await db
            .updateTable("outbox_emails")
            .set({
              status: failed ? "failed" : "pending",
              ...(failed ? { text_body: "", html_body: "" } : {}),
              next_attempt_at: new Date(clock.now().getTime() + retryDelayMs(message.attempts)),
              locked_until: null,
              last_error: reason.slice(0, 500),
            })
            .where("id", "=", message.id)
            // Only while this claim is still the latest (attempts counts claims): a send that
            // outlived its claim must not reopen a message another worker has sent since.
            .where("status", "=", "pending")
            .where("attempts", "=", message.attempts)
            .execute();
        }
      }
    }
  }

  function drain(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await deliverDue();
        } catch (error) {
          logger.error({ err: error }, "outbox worker pass failed");
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule() {
    timer = setTimeout(() => {
      void drain().finally(() => {
        if (!stopped) schedule();
      });
    }, POLL_MS);
    timer.unref();
  }

  deps.notifications.subscribe("atrium_outbox", () => {
    if (!stopped) void drain();
  });

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      void drain();
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      transport.close?.();
    },
    drain,
  };
}
