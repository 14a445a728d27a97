import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startTestApp } from "../../test/support/test-app.js";
import { controlSocketPath, sendOperatorCommand, startControlServer } from "./control-socket.js";
import { runOperatorCommand } from "./operator-commands.js";

const t = await startTestApp();
const folder = mkdtempSync(join(tmpdir(), "atrium-control-"));
const path = controlSocketPath(folder);
const stop = await startControlServer(t.app.deps, path);
afterAll(async () => {
  await stop();
  rmSync(folder, { recursive: true, force: true });
});

/** Sends raw bytes to the control socket, as a confused client might. */
function sendRaw(body: string): Promise<{ status: number; type: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: path, method: "POST", path: "/" }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers["content-type"] ?? "",
          body: JSON.parse(text),
        }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("operator errors, in the contract's shape", () => {
  it("answers a command refused by its service with the contract's status and error body", async () => {
    const command = { command: "users-show", email: "nobody@example.com" } as const;
    const expected = {
      status: 404,
      body: { error: { code: "not_found", message: expect.any(String) } },
    };
    expect(await runOperatorCommand(t.app.deps, command)).toEqual(expected);
    expect(await sendOperatorCommand(path, command)).toEqual(expected);
  });

  it("answers a malformed command on the control socket with 400 invalid_request", async () => {
    const answer = await sendRaw("this is not a command");
    expect(answer).toEqual({
      status: 400,
      type: "application/json",
      body: { error: { code: "invalid_request", message: "Malformed command." } },
    });
  });
});
