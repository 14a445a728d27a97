import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Notifications } from "../db/database.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../lib/request-meta.js";
import { emails } from "../metrics/metrics.js";
import { messageIdFor } from "./outbox.js";
import {
  type ClaimedEmail as Claimed,
  claimDueEmail,
  markEmailSent,
  notifyOutbox,
  updateClaimedEmail,
} from "./outbox.queries.js";
import type { MailTransport } from "./transports.js";

/** How long a claim outlives a process that died while sending. */
const CLAIM_MS = 60_000;
/** A claim is renewed this often while its message is being sent, so it never lapses mid-send. */
const RENEW_MS = 15_000;
/** Messages sent at once (one per pooled SMTP connection). */
export const SEND_CONCURRENCY = 3;
/** How long stop() lets sends in flight finish before it gives their messages back. */
const STOP_WAIT_MS = 5_000;
const POLL_MS = 2_000;
/** About four days of retries with the backoff below before a message is marked failed. */
export const MAX_ATTEMPTS = 100;

/** Exponential backoff from 5 s, capped at one hour, with jitter so workers do not align. */
export function retryDelayMs(attempts: number): number {
  const base = Math.min(5_000 * 2 ** (attempts - 1), 3_600_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Waits for `promise` to settle, but no longer than `ms`. */
async function settledWithin(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise?.catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

export interface OutboxWorker {
  start(): void;
  /**
   * Stops claiming, lets sends in flight finish for a few seconds, then gives back the claims
   * of those that have not, so that another process sends them at once.
   */
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
  publicUrl: string;
}): OutboxWorker {
  const { db, transport, logger, clock } = deps;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopping = false;
  const inFlight = new Map<string, Claimed>();
  const released = new Set<string>();

  /**
   * Claims one due message. A claim per message (rather than per batch) means no message waits
   * behind others while its claim runs out; SKIP LOCKED lets several processes share the outbox.
   */
  async function claim(): Promise<Claimed | undefined> {
    const now = clock.now();
    return claimDueEmail(db, now, new Date(now.getTime() + CLAIM_MS));
  }

  async function deliver(message: Claimed): Promise<void> {
    inFlight.set(message.id, message);
    const renewal = setInterval(() => {
      updateClaimedEmail(db, message, {
        locked_until: new Date(clock.now().getTime() + CLAIM_MS),
      }).catch((error) => logger.warn({ err: error }, "could not renew an email's claim"));
    }, RENEW_MS);
    renewal.unref();
    try {
      try {
        await transport.send({
          from: deps.from,
          to: message.to_address,
          subject: message.subject,
          text: message.text_body,
          html: message.html_body,
          messageId: messageIdFor(message.id, deps.publicUrl),
        });
      } catch (error) {
        clearInterval(renewal);
        // Given back at shutdown: another process owns its next attempt.
        if (!released.has(message.id)) await failed(message, error);
        return;
      }
      clearInterval(renewal);
      // Marked at once: the crash window between acceptance and this write is one statement.
      await markEmailSent(db, message.id, clock.now());
      emails.inc({ event: "sent" });
    } finally {
      clearInterval(renewal);
      inFlight.delete(message.id);
    }
  }

  async function failed(message: Claimed, error: unknown): Promise<void> {
    emails.inc({ event: "failed" });
    const final = message.attempts >= MAX_ATTEMPTS;
    const reason = error instanceof Error ? error.message : String(error);
    logger.warn(
      { emailId: message.id, attempts: message.attempts, err: reason },
      "email delivery failed",
    );
    // A send that outlived its claim must not reopen a message another worker has sent since.
    await updateClaimedEmail(db, message, {
      status: final ? "failed" : "pending",
      ...(final ? { text_body: "", html_body: "" } : {}),
      next_attempt_at: new Date(clock.now().getTime() + retryDelayMs(message.attempts)),
      locked_until: null,
      last_error: reason.slice(0, 500),
    });
  }

  /** One sender: claims, sends and marks one message at a time until nothing is due. */
  async function lane(): Promise<void> {
    while (!stopping) {
      const message = await claim();
      if (!message) return;
      await deliver(message);
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
        const lanes = Array.from({ length: SEND_CONCURRENCY }, () => lane());
        for (const result of await Promise.allSettled(lanes)) {
          if (result.status === "rejected")
            logger.error({ err: result.reason }, "outbox worker pass failed");
        }
      } while (again && !stopping);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule() {
    timer = setTimeout(() => {
      void drain().finally(() => {
        if (!stopping) schedule();
      });
    }, POLL_MS);
    timer.unref();
  }

  /** Gives back the claims of sends that did not finish, and tells the other processes. */
  async function release(): Promise<void> {
    const unfinished = [...inFlight.values()];
    if (unfinished.length === 0) return;
    for (const message of unfinished) {
      released.add(message.id);
      await updateClaimedEmail(db, message, { locked_until: null });
    }
    await notifyOutbox(db);
    logger.info({ released: unfinished.length }, "outbox: gave back unfinished sends at shutdown");
  }

  deps.notifications.subscribe("atrium_outbox", () => {
    if (started && !stopping) void drain();
  });

  return {
    start() {
      if (started) return;
      started = true;
      void drain();
      schedule();
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await settledWithin(running, STOP_WAIT_MS);
      try {
        await release();
      } catch (error) {
        logger.warn({ err: error }, "outbox: could not give back unfinished sends");
      }
      transport.close?.();
      // Sends cut off by the close settle quickly; the database must outlive their last write.
      await settledWithin(running, 1_000);
    },
    drain,
  };
}
