// The OpenAPI document of the built app (dist/), without listening or touching a data folder
// (an in-memory embedded database). `node scripts/openapi-document.mjs <file>` writes it to <file>.
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { buildApp } from "../dist/app.js";
import { loadConfig } from "../dist/config.js";
import { openDatabase } from "../dist/db/database.js";

/** The document as an instance at `publicUrl` serves it (its `servers` entry). */
export async function openApiDocument(publicUrl) {
  const database = await openDatabase({});
  const env = { LOG_LEVEL: "silent", ...(publicUrl ? { PUBLIC_URL: publicUrl } : {}) };
  const app = await buildApp({ config: loadConfig(env), database, workers: false });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
    await database.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [file] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node scripts/openapi-document.mjs <file>");
    process.exit(2);
  }
  writeFileSync(
    file,
    `${JSON.stringify(await openApiDocument(process.env.PUBLIC_URL), null, 2)}\n`,
  );
}
