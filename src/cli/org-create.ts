import { parseArgs } from "node:util";
import pino from "pino";
import { createDeps } from "../app.js";
import type { Config } from "../config.js";
import { DataDirInUseError } from "../db/data-dir-lock.js";
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrations.js";
import { createLogger } from "../http/logging.js";
import { createOutboxWorker } from "../mail/outbox-worker.js";
import { logTransport, smtpTransport } from "../mail/transports.js";
import {
  controlSocketPath,
  type OperatorCommand,
  runOperatorCommand,
  sendOperatorCommand,
} from "../operator/control-socket.js";

export const ORG_CREATE_USAGE = `Usage: atrium org create --name <name> --owner <email> [--slug <slug>] [--json]

Creates an organization and invites its first owner by email (the organization accepts
members from the owner's email domain). Prints the invitation link.`;

const SEND_TIMEOUT_MS = 15_000;

/** Runs the command against the database itself, or through the server that holds the embedded one. */
async function run(
  config: Config,
  command: OperatorCommand,
): Promise<{ status: number; body: unknown }> {
  // Logs (and, without SMTP_URL, the email itself) go to stderr; stdout is the command's answer.
  const logger = createLogger(
    config.logLevel === "info" ? "warn" : config.logLevel,
    pino.destination(2),
  );
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      logger,
    });
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    try {
      return await sendOperatorCommand(controlSocketPath(config.dataDir), command);
    } catch {
      throw new Error(`${error.message}, and it does not answer operator commands`);
    }
  }
  try {
    await migrate(database.db);
    const deps = createDeps(config, database, logger);
    const result = await runOperatorCommand(deps, command);
    if (result.status < 300) {
      // No server may be running to send the invitation: send it now. If SMTP fails it stays
      // in the outbox, and the next `atrium serve` delivers it.
      const transport = config.smtpUrl
        ? smtpTransport(config.smtpUrl)
        : logTransport(createLogger("info", pino.destination(2)));
      const outbox = createOutboxWorker({
        db: database.db,
        transport,
        notifications: database.notifications,
        logger,
        clock: deps.clock,
        from: config.mailFrom,
      });
      await Promise.race([
        outbox.drain(),
        new Promise((r) => setTimeout(r, SEND_TIMEOUT_MS).unref()),
      ]);
      await outbox.stop();
    }
    return result;
  } finally {
    await database.close();
  }
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      name: { type: "string" },
      owner: { type: "string" },
      slug: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
}

export async function orgCreate(config: Config, argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseOptions>;
  try {
    values = parseOptions(argv);
  } catch (error) {
    // An unknown option, a missing value or a stray argument is wrong usage (exit 2), not a failure.
    console.error(`atrium: ${(error as Error).message}\n\n${ORG_CREATE_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(ORG_CREATE_USAGE);
    return 0;
  }
  if (!values.name || !values.owner) {
    console.error(`atrium: --name and --owner are required\n\n${ORG_CREATE_USAGE}`);
    return 2;
  }
  const { status, body } = await run(config, {
    command: "org-create",
    name: values.name,
    ownerEmail: values.owner,
    slug: values.slug,
  });
  const answer = body as {
    organization?: { id: string; slug: string; name: string };
    invitationUrl?: string;
    expiresAt?: string;
    error?: { code: string; message: string };
  };
  if (status >= 300 || !answer.organization) {
    if (values.json) console.log(JSON.stringify(answer));
    else
      console.error(
        `atrium: ${answer.error?.message ?? "the command failed"} (${answer.error?.code ?? status})`,
      );
    return status >= 500 ? 1 : 2;
  }
  if (values.json) {
    console.log(JSON.stringify(answer));
  } else {
    console.log(
      `Created organization "${answer.organization.name}" (slug ${answer.organization.slug}, id ${answer.organization.id}).`,
    );
    console.log(`Owner invitation for ${values.owner}, valid until ${answer.expiresAt}:`);
    console.log(answer.invitationUrl);
  }
  return 0;
}
