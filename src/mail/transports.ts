import nodemailer from "nodemailer";
import type { Logger } from "pino";
import type { EmailMessage } from "./outbox.js";

/** Delivers one message or throws; the outbox worker handles retries. */
export interface MailTransport {
  send(message: EmailMessage & { from: string }): Promise<void>;
  close?(): void;
}

export function smtpTransport(smtpUrl: string): MailTransport {
  const transporter = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      await transporter.sendMail({
        from: message.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
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
