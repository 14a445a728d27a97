#!/usr/bin/env node
import { parseArgs } from "node:util";
import { buildApp } from "../app.js";
import { ConfigError, loadConfig } from "../config.js";
import { openDatabase } from "../db/database.js";
import { migrate } from "../db/migrations.js";
import { createLogger } from "../http/logging.js";
import { ORG_CREATE_USAGE, orgCreate } from "./org-create.js";

const USAGE = `Usage: atrium <command> [options]

Commands:
  serve        Run the HTTP server (what npm start runs)
  migrate      Apply pending database migrations and exit
  org create   Create an organization and invite its first owner (see atrium org create --help)

Configuration comes from environment variables; see the README.`;

/** Exit codes: 0 done, 1 failed, 2 wrong usage or configuration. */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { help: { type: "boolean", short: "h" } },
  });
  const command = positionals[0];
  if (command === "org" && values.help) {
    console.log(ORG_CREATE_USAGE);
    return 0;
  }
  if (!command || values.help) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`atrium: configuration error: ${error.message}`);
      return 2;
    }
    throw error;
  }

  switch (command) {
    case "serve":
      return serve(config);
    case "migrate": {
      const database = await openDatabase({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
      });
      try {
        const applied = await migrate(database.db);
        console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
      } finally {
        await database.close();
      }
      return 0;
    }
    case "org":
      if (positionals[1] !== "create") {
        console.error(
          `atrium: unknown command "org ${positionals[1] ?? ""}"\n\n${ORG_CREATE_USAGE}`,
        );
        return 2;
      }
      return orgCreate(config, argv.slice(argv.indexOf("create") + 1));
    default:
      console.error(`atrium: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function serve(config: ReturnType<typeof loadConfig>): Promise<number> {
  const logger = createLogger(config.logLevel);
  const app = await buildApp({ config, logger });
  await app.listen({ port: config.port, host: config.host });
  logger.info(
    {
      publicUrl: config.publicUrl,
      database: app.database.kind === "pglite" ? `embedded (${config.dataDir})` : "postgres",
    },
    "atrium is serving",
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  logger.info("shutting down");
  await app.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`atrium: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
