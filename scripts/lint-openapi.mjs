// npm run lint:openapi — lints the OpenAPI document with Redocly's recommended rules. The
// document is the one a deployment at a real address serves: the development default
// (http://localhost:3000) is exactly what the no-server-example.com rule flags.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openApiDocument } from "./openapi-document.mjs";

const folder = mkdtempSync(join(tmpdir(), "atrium-openapi-"));
const file = join(folder, "openapi.json");
try {
  const document = await openApiDocument(process.env.PUBLIC_URL ?? "https://atrium.internal");
  writeFileSync(file, JSON.stringify(document, null, 2));
  const redocly = new URL("../node_modules/@redocly/cli/bin/cli.js", import.meta.url);
  const result = spawnSync(process.execPath, [fileURLToPath(redocly), "lint", file], {
    stdio: "inherit",
    // No usage reports and no update check: CI has no network but the package registry.
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  });
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(folder, { recursive: true, force: true });
}
