import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface SinkMessage {
  messageId: string;
  to: string[];
  subject: string;
  /** The text/plain part, decoded. */
  text: string;
  receivedAt: number;
}

/** A real SMTP server on 127.0.0.1 that records what it accepts. */
export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  readonly url: string;
  messages(): SinkMessage[];
  /** Stops accepting (the port refuses connections, open ones are dropped) / accepts again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Delays each DATA acceptance by `ms` (0: none). */
  slow(ms: number): void;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: SinkMessage[] = [];
  let delayMs = 0;
  let port = 0;
  let server: SMTPServer | undefined;

  async function listen(): Promise<void> {
    const created = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      closeTimeout: 100,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          const accept = () => {
            received.push({
              ...parseMessage(Buffer.concat(chunks).toString("utf8")),
              to: session.envelope.rcptTo.map((r) => r.address),
              receivedAt: Date.now(),
            });
            callback();
          };
          if (delayMs > 0) setTimeout(accept, delayMs);
          else accept();
        });
      },
    });
    created.on("error", () => {}); // a client that drops mid-session is not the sink's failure
    await new Promise<void>((resolve, reject) => {
      created.server.once("error", reject);
      created.listen(port, "127.0.0.1", () => resolve());
    });
    port = (created.server.address() as AddressInfo).port;
    server = created;
  }

  async function shut(): Promise<void> {
    const current = server;
    server = undefined;
    if (!current) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const connection of current.connections) connection.close();
    await closed;
  }

  await listen();
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages: () => received.map((m) => ({ ...m, to: [...m.to] })),
    down: shut,
    async up() {
      if (!server) await listen();
    },
    slow(ms) {
      delayMs = ms;
    },
    close: shut,
  };
}

/** Just enough MIME for what nodemailer writes: headers, and the text/plain part. */
function parseMessage(raw: string): { messageId: string; subject: string; text: string } {
  const [head = "", ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = parseHeaders(head);
  const body = rest.join("\r\n\r\n");
  return {
    messageId: (headers.get("message-id") ?? "").trim(),
    subject: decodeWords(headers.get("subject") ?? ""),
    text: textPart(headers, body),
  };
}

function parseHeaders(head: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function textPart(headers: Map<string, string>, body: string): string {
  const type = headers.get("content-type") ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) return decodeBody(body, headers.get("content-transfer-encoding"));
  for (const part of body.split(`--${boundary}`)) {
    const [partHead = "", ...partBody] = part.replace(/^\r?\n/, "").split(/\r?\n\r?\n/);
    const partHeaders = parseHeaders(partHead);
    const partType = partHeaders.get("content-type") ?? "";
    if (/multipart\//i.test(partType)) return textPart(partHeaders, partBody.join("\r\n\r\n"));
    if (/text\/plain/i.test(partType)) {
      return decodeBody(partBody.join("\r\n\r\n"), partHeaders.get("content-transfer-encoding"));
    }
  }
  return "";
}

function decodeBody(body: string, encoding: string | undefined): string {
  const kind = (encoding ?? "").toLowerCase();
  if (kind === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (kind === "quoted-printable") return decodeQuotedPrintable(body.replace(/=\r?\n/g, ""));
  return body.trimEnd();
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === "=" && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i]!, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8").trimEnd();
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=). */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, _charset, kind: string, data: string) =>
      kind.toUpperCase() === "B"
        ? Buffer.from(data, "base64").toString("utf8")
        : decodeQuotedPrintable(data.replace(/_/g, " ")),
    );
}
