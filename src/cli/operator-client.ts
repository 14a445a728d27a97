import pino from "pino";
import { createDeps } from "../app.js";
import type { Config } from "../config.js";
import { DataDirInUseError } from "../db/data-dir-lock.js";
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrations.js";
import { createLogger } from "../http/logging.js";
import { createOutboxWorker } from "../mail/outbox-worker.js";
import { logTransport, smtpTransport } from "../mail/transports.js";
import { controlSocketPath, sendOperatorCommand } from "../operator/control-socket.js";
import {
  type OperatorCommand,
  type OperatorResult,
  runOperatorCommand,
} from "../operator/operator-commands.js";

const SEND_TIMEOUT_MS = 15_000;

/**
 * Runs an operator command against the database itself, or — when a server holds the
 * embedded database — through that server's control socket. `consume` sees the answer while
 * the database is still open (an export streams from it).
 */
export async function executeOperatorCommand<T>(
  config: Config,
  command: OperatorCommand,
  consume: (result: OperatorResult) => Promise<T>,
): Promise<T> {
  // Logs (and, without SMTP_URL, email) go to stderr: stdout is the command's answer.
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
    let result: OperatorResult;
    try {
      result = await sendOperatorCommand(controlSocketPath(config.dataDir), command);
    } catch {
      throw new Error(`${error.message}, and it does not answer operator commands`);
    }
    return consume(result);
  }
  try {
    await migrate(database.db);
    const deps = createDeps(config, database, logger);
    const result = await runOperatorCommand(deps, command);
    const answer = await consume(result);
    if (result.status < 300) {
      // No server may be running to send what the command queued (an invitation): send it
      // now. If SMTP fails it stays in the outbox, and the next `atrium serve` delivers it.
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
        publicUrl: config.publicUrl,
      });
      await Promise.race([
        outbox.drain(),
        new Promise((r) => setTimeout(r, SEND_TIMEOUT_MS).unref()),
      ]);
      await outbox.stop();
    }
    return answer;
  } finally {
    await database.close();
  }
}
