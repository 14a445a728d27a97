// npm run generate:client — writes src/client/api-types.ts from the OpenAPI document of the
// built app (dist/), so the typed client follows the routes' schemas.
import { writeFileSync } from "node:fs";
import { buildApp } from "../dist/app.js";
import { generateClientTypes } from "../dist/client/generate-types.js";
import { loadConfig } from "../dist/config.js";
import { openDatabase } from "../dist/db/database.js";

const database = await openDatabase({});
const app = await buildApp({
  config: loadConfig({ LOG_LEVEL: "silent" }),
  database,
  workers: false,
});
await app.ready();
const document = (await app.inject("/api/v1/openapi.json")).json();
writeFileSync(
  new URL("../src/client/api-types.ts", import.meta.url),
  generateClientTypes(document),
);
await app.close();
await database.close();
console.log(`src/client/api-types.ts: ${Object.keys(document.paths).length} paths`);
process.exit(0);
