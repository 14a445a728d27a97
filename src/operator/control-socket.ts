import { chmodSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, request } from "node:http";
import { join, resolve } from "node:path";
import type { Deps } from "../deps.js";
import { AppError } from "../lib/errors.js";
import { provisionOrganization } from "../organizations/provision-organization.js";

/**
 * The embedded database belongs to one process, so an operator command cannot open it while
 * the server runs. The server instead takes operator commands on a Unix socket in the data
 * folder (owner-only permissions), and the `atrium` command sends them there.
 */
export function controlSocketPath(dataDir: string): string {
  return join(resolve(dataDir), "atrium.sock");
}

export type OperatorCommand = {
  command: "org-create";
  name: string;
  ownerEmail: string;
  slug?: string | undefined;
};

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16_384) throw new Error("command too large");
  }
  return JSON.parse(body);
}

/** Runs one operator command in this process; the answer is the contract's error shape on failure. */
export async function runOperatorCommand(
  deps: Deps,
  command: OperatorCommand,
): Promise<{ status: number; body: unknown }> {
  try {
    if (command.command !== "org-create")
      return {
        status: 400,
        body: { error: { code: "invalid_request", message: "Unknown command." } },
      };
    const result = await provisionOrganization(deps, command);
    return {
      status: 201,
      body: {
        organization: {
          id: result.organization.id,
          slug: result.organization.slug,
          name: result.organization.name,
        },
        invitationUrl: result.invitationUrl,
        expiresAt: result.expiresAt,
      },
    };
  } catch (error) {
    if (error instanceof AppError) {
      return {
        status: error.status,
        body: { error: { code: error.code, message: error.message, details: error.details } },
      };
    }
    deps.logger.error({ err: error }, "operator command failed");
    return {
      status: 500,
      body: { error: { code: "internal", message: "The command failed; see the server log." } },
    };
  }
}

export async function startControlServer(deps: Deps, path: string): Promise<() => Promise<void>> {
  // Only the process holding the data folder's lock gets here, so a socket file left behind is stale.
  rmSync(path, { force: true });
  const server = createServer((req, res) => {
    readJson(req)
      .then((command) => runOperatorCommand(deps, command as OperatorCommand))
      .catch(() => ({
        status: 400,
        body: { error: { code: "invalid_request", message: "Malformed command." } },
      }))
      .then(({ status, body }) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolveListen());
  });
  chmodSync(path, 0o600);
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
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolveReply, reject) => {
    const req = request(
      {
        socketPath: path,
        method: "POST",
        path: "/",
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => {
          try {
            resolveReply({ status: res.statusCode ?? 500, body: JSON.parse(body) });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(command));
  });
}
