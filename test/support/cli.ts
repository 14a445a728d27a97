import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createPGlite } from "../../src/db/database.js";
import { databaseUrlFor } from "./database-url.js";
import { createTestDatabase } from "./test-database.js";

/** The built command, as `npx atrium` runs it (`npm run build` / the pretest build make it). */
export const ATRIUM = resolve(fileURLToPath(import.meta.url), "../../../dist/cli/atrium.js");

export type Env = Record<string, string>;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `atrium <args>` with exactly this environment (nothing inherited but PATH). */
export function runAtrium(args: string[], env: Env): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [ATRIUM, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/**
 * An environment for the command on a database of its own: a fresh data folder for the
 * embedded database, or a copy of the migrated template on PostgreSQL (DATABASE_URL set).
 */
export async function cliEnvironment(): Promise<{ env: Env; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "atrium-cli-"));
  const env: Env = {
    ATRIUM_DATA_DIR: join(dir, "data"),
    LOG_LEVEL: "info",
    PUBLIC_URL: "http://atrium.test",
  };
  const database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
  if (database?.url) env.DATABASE_URL = database.url;
  return {
    env,
    async cleanup() {
      await stopAllServers();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL only: an empty database on the test server (never migrated), dropped by `drop`. */
export async function emptyPostgresDatabase(serverUrl: string) {
  const name = `atrium_e_${Math.random().toString(16).slice(2, 10)}`;
  const admin = async (query: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(query).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  return {
    url: databaseUrlFor(serverUrl, name),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface RunningServer {
  url: string;
  pid: number;
  /** Everything the server has written so far (its log). */
  output(): string;
  /** SIGTERM (or the given signal), then the exit code once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolveExit) => child.once("exit", (code) => resolveExit(code)));
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const code = await exited(child);
  clearTimeout(timer);
  running.delete(child);
  return code;
}

/** Kills every server started by `startServer` that is still running. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((child) => stop(child, "SIGTERM")));
}

/** `atrium serve` as a child process on a free port; resolves once GET /readyz answers 200. */
export async function startServer(env: Env): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [ATRIUM, "serve"], {
    env: { PATH: process.env.PATH ?? "", ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`atrium serve exited early:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop(child, "SIGKILL");
      throw new Error(`atrium serve was not ready within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid ?? 0,
    output: () => output,
    stop: (s = "SIGTERM") => stop(child, s),
  };
}

export interface ServerAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the tests' assertions.
  body: any;
  /** The session cookie the answer set ("atrium_session=…"), if any. */
  cookie: string | undefined;
}

/**
 * One JSON request to a running `atrium serve`, as the console or a script sends it: `Origin`
 * on state-changing requests, and the session cookie or an API key when given.
 */
export async function serverRequest(
  server: RunningServer,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  options: { body?: unknown; cookie?: string | undefined; apiKey?: string } = {},
): Promise<ServerAnswer> {
  const headers: Record<string, string> = {};
  if (method !== "GET") headers.origin = "http://atrium.test";
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.cookie) headers.cookie = options.cookie;
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const cookie = response.headers
    .getSetCookie()
    .find((c) => c.startsWith("atrium_session="))
    ?.split(";")[0];
  return { status: response.status, body: text ? JSON.parse(text) : undefined, cookie };
}

/**
 * Runs SQL on a command environment's database while no server holds it: the embedded data
 * folder opened directly, or PostgreSQL. Without parameters, several statements may be given.
 */
export async function queryDatabase<T>(env: Env, query: string, params: unknown[] = []) {
  if (env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query(query, params)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const db = await createPGlite({ dataDir: env.ATRIUM_DATA_DIR });
  try {
    if (params.length > 0) return (await db.query<T>(query, params)).rows;
    await db.exec(query); // the simple protocol, which takes several statements
    return [];
  } finally {
    await db.close();
  }
}
