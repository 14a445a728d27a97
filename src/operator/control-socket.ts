import { rmSync } from "node:fs";
import { createServer, type IncomingMessage, request } from "node:http";
import { join, resolve } from "node:path";
import type { Deps } from "../deps.js";
import { fail } from "../lib/errors.js";
import {
  errorResult,
  type OperatorCommand,
  type OperatorResult,
  runOperatorCommand,
} from "./operator-commands.js";

/**
 * The embedded database belongs to one process, so an operator command cannot open it while
 * the server runs. The server instead takes operator commands on a Unix socket in the data
 * folder (owner-only permissions), and the `atrium` command sends them there.
 */
export function controlSocketPath(dataDir: string): string {
  return join(resolve(dataDir), "atrium.sock");
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    // Commands are small, but `audit verify --heads` carries one saved head per chain.
    if (body.length > 32 * 1024 * 1024) throw new Error("command too large");
  }
  return JSON.parse(body);
}

export async function startControlServer(deps: Deps, path: string): Promise<() => Promise<void>> {
  // Only the process holding the data folder's lock gets here, so a socket file left behind is stale.
  rmSync(path, { force: true });
  const server = createServer((req, res) => {
    readJson(req)
      .then((command) => runOperatorCommand(deps, command as OperatorCommand))
      .catch(() => errorResult(fail("invalid_request", "Malformed command.")))
      .then(async (result) => {
        if ("stream" in result) {
          res.writeHead(result.status, { "content-type": "text/plain; charset=utf-8" });
          for await (const chunk of result.stream) {
            if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
          }
          res.end();
        } else {
          res.writeHead(result.status, { "content-type": "application/json" });
          res.end(JSON.stringify(result.body));
        }
      })
      .catch((error) => {
        deps.logger.error({ err: error }, "operator command failed while answering");
        res.destroy();
      });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    // The socket file is owner-only from the moment it exists (listen binds synchronously, under
    // this umask); a chmod afterwards would leave a moment in which anyone could connect.
    const umask = process.umask(0o077);
    try {
      server.listen(path, () => resolveListen());
    } finally {
      process.umask(umask);
    }
  });
  return () =>
    new Promise<void>((resolveClose) => {
      server.close(() => resolveClose());
      rmSync(path, { force: true });
    });
}

/** Sends a command to the server that holds the embedded database. */
export function sendOperatorCommand(
  path: string,
  command: OperatorCommand,
): Promise<OperatorResult> {
  return new Promise((resolveReply, reject) => {
    const req = request(
      {
        socketPath: path,
        method: "POST",
        path: "/",
        headers: { "content-type": "application/json" },
        timeout: 60_000,
      },
      (res) => {
        const status = res.statusCode ?? 500;
        res.setEncoding("utf8");
        if (res.headers["content-type"]?.startsWith("text/plain")) {
          resolveReply({ status, stream: res });
          return;
        }
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => {
          try {
            resolveReply({ status, body: JSON.parse(body) });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error("the server did not answer the command in time")),
    );
    req.on("error", reject);
    req.end(JSON.stringify(command));
  });
}
