#!/usr/bin/env node
import { buildApp } from "../app.js";
import { type Config, ConfigError, loadConfig } from "../config.js";
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrations.js";
import { createLogger } from "../http/logging.js";
import { COMMANDS, EXIT, runCommand } from "./commands.js";

const USAGE = `Usage: atrium <command> [options]

Commands:
  serve                 Run the HTTP server (what npm start runs)
  migrate               Apply pending database migrations and exit
  org create            Create an organization and invite its first owner
  users list|show|disable|enable
                        Look at and disable or enable accounts
  sessions revoke       Sign an account out everywhere
  audit verify          Check the audit log's hash chains
  audit heads           Print the last event and hash of each audit chain, to keep elsewhere
  audit export          Write audit events as JSON Lines or CSV

atrium <command> --help tells more. Configuration comes from environment variables (see the
README). Exit codes: 0 done, 1 failed, 2 wrong usage or input, 3 not found.`;

class UsageError extends Error {}

/** Reads the configuration, or stops with one line naming the bad variable. */
function config(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`configuration error: ${error.message}`);
    throw error;
  }
}

async function main(argv: string[]): Promise<number> {
  const [first, second] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    console.log(USAGE);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === "serve" || first === "migrate") {
    if (argv.includes("--help") || argv.includes("-h")) {
      console.log(
        first === "serve"
          ? "Usage: atrium serve\n\nRuns the HTTP server."
          : "Usage: atrium migrate\n\nApplies pending migrations.",
      );
      return EXIT.ok;
    }
    return first === "serve" ? serve(config()) : runMigrations(config());
  }
  const spec = COMMANDS.find((c) => c.words[0] === first && c.words[1] === second);
  if (!spec) {
    const group = COMMANDS.filter((c) => c.words[0] === first);
    if (group.length > 0 && (second === undefined || second === "--help" || second === "-h")) {
      console.log(group.map((c) => c.usage).join("\n\n"));
      return second === undefined ? EXIT.usage : EXIT.ok;
    }
    console.error(
      `atrium: unknown command "${[first, second].filter(Boolean).join(" ")}"\n\n${USAGE}`,
    );
    return EXIT.usage;
  }
  return runCommand(spec, config, argv.slice(2));
}

async function runMigrations(cfg: Config): Promise<number> {
  const database = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  try {
    const applied = await database.withoutTimeouts((db) => migrate(db));
    console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
  } finally {
    await database.close();
  }
  return EXIT.ok;
}

async function serve(cfg: Config): Promise<number> {
  const logger = createLogger(cfg.logLevel);
  const app = await buildApp({ config: cfg, logger });
  await app.listen({ port: cfg.port, host: cfg.host });
  logger.info(
    {
      publicUrl: cfg.publicUrl,
      database: app.database.kind === "pglite" ? `embedded (${cfg.dataDir})` : "postgres",
    },
    "atrium is serving",
  );
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  logger.info("shutting down");
  // A second signal means now.
  const now = () => process.exit(EXIT.failed);
  process.once("SIGTERM", now);
  process.once("SIGINT", now);
  // No new connections from here; requests in flight get a bounded time to finish.
  await app.close();
  logger.info("stopped");
  return EXIT.ok;
}

// Whatever the command writes (the embedded database's files above all) is the owner's alone.
process.umask(0o077);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain (a large export), then leave even if a handle lingers.
    process.stdout.write("", () => process.exit(code));
  },
  (error) => {
    console.error(`atrium: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof UsageError ? EXIT.usage : EXIT.failed);
  },
);
