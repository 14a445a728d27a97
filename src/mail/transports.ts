import nodemailer from "nodemailer";
import type { Logger } from "pino";
import type { EmailMessage } from "./outbox.js";
import { SEND_CONCURRENCY } from "./outbox-worker.js";

export type OutgoingEmail = EmailMessage & { from: string; messageId: string };

/** Delivers one message or throws; the outbox worker handles retries. */
export interface MailTransport {
  send(message: OutgoingEmail): Promise<void>;
  /** Closes connections, cutting off sends in flight. */
  close?(): void;
}

export function smtpTransport(smtpUrl: string): MailTransport {
  // Pooled connections, one per parallel sender; a query in SMTP_URL overrides these.
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: SEND_CONCURRENCY,
    // A stalled server fails the attempt (and it is retried) instead of holding a sender.
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  return {
    async send(message) {
      await transporter.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: message.messageId,
      });
    },
    close: () => transporter.close(),
  };
}

/**
 * Without SMTP_URL, email is written to the log so that a developer can follow its links.
 * This is the one place a link's token reaches a log: it is the delivery channel then.
 */
export function logTransport(logger: Logger): MailTransport {
  return {
    async send(message) {
      logger.info(
        { email: { to: message.to, subject: message.subject, text: message.text } },
        "email not sent (SMTP_URL is not set); its text follows",
      );
    },
  };
}
