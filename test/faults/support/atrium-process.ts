import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The built command (`npm run test:faults` builds first). */
export const ATRIUM_BIN = resolve(fileURLToPath(import.meta.url), "../../../../dist/cli/atrium.js");

export type ExitStatus = { code: number | null; signal: string | null };

export interface AtriumProcess {
  /** "A", "B", … used in failure messages ("answered by B"). */
  readonly name: string;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** The pid of the current child (changes on restart). */
  readonly pid: number;
  /** Milliseconds from the last spawn until /readyz answered 200. */
  readonly readyMs: number;
  /** Everything it logged so far (stdout+stderr), across restarts. */
  output(): string;
  /** Default SIGKILL; waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<ExitStatus>;
  /** SIGTERM and wait (SIGKILL after `timeoutMs`, default 30 s). */
  stop(timeoutMs?: number): Promise<ExitStatus>;
  /** Starts again with the same env and port; resolves when /readyz is 200. */
  restart(): Promise<void>;
  /** The current child's exit. */
  readonly exited: Promise<ExitStatus>;
}

const READY_TIMEOUT_MS = 60_000;
const running = new Set<AtriumProcess>();
let nextName = 0;
// A test run that dies must not leave servers behind holding ports and databases.
process.once("exit", () => {
  for (const p of running) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function exitOf(child: ChildProcess): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolveExit) =>
    child.once("exit", (code, signal) => resolveExit({ code, signal })),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns `node dist/cli/atrium.js serve` with `env` merged over a clean base (LOG_LEVEL=info,
 * HOST=127.0.0.1, a free PORT, PUBLIC_URL matching it; nothing inherited but PATH) and resolves
 * when GET /readyz answers 200. Processes behind one proxy should share a PUBLIC_URL (the
 * CSRF check compares Origin with it).
 */
export async function startAtrium(opts: {
  name?: string;
  env: Record<string, string>;
}): Promise<AtriumProcess> {
  const name = opts.name ?? String.fromCharCode(65 + (nextName++ % 26));
  const port = opts.env.PORT ? Number(opts.env.PORT) : await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    LOG_LEVEL: "info",
    HOST: "127.0.0.1",
    PUBLIC_URL: url,
    ...opts.env,
    PORT: String(port),
  };
  let log = "";
  let child!: ChildProcess;
  let exited!: Promise<ExitStatus>;
  let readyMs = 0;

  async function spawnAndWait(): Promise<void> {
    const started = Date.now();
    child = spawn(process.execPath, [ATRIUM_BIN, "serve"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk) => (log += chunk));
    child.stderr?.on("data", (chunk) => (log += chunk));
    exited = exitOf(child);
    const me = child;
    for (;;) {
      if (me.exitCode !== null || me.signalCode !== null) {
        throw new Error(`Atrium ${name} exited before it was ready:\n${log.slice(-4000)}`);
      }
      const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() - started > READY_TIMEOUT_MS) {
        me.kill("SIGKILL");
        await exitOf(me);
        throw new Error(`Atrium ${name} was not ready within 60 s:\n${log.slice(-4000)}`);
      }
      await sleep(25);
    }
    readyMs = Date.now() - started;
  }

  async function kill(signal: NodeJS.Signals = "SIGKILL"): Promise<ExitStatus> {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  }

  const proc: AtriumProcess = {
    name,
    url,
    port,
    get pid() {
      return child.pid ?? 0;
    },
    get readyMs() {
      return readyMs;
    },
    get exited() {
      return exited;
    },
    output: () => log,
    kill,
    async stop(timeoutMs = 30_000) {
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      try {
        return await kill("SIGTERM");
      } finally {
        clearTimeout(timer);
        running.delete(proc);
      }
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) {
        throw new Error(
          `Atrium ${name} is still running (pid ${child.pid}): stop or kill it first`,
        );
      }
      log += `\n--- ${name} restarted ---\n`;
      running.add(proc);
      await spawnAndWait();
    },
  };
  running.add(proc);
  try {
    await spawnAndWait();
  } catch (error) {
    running.delete(proc);
    throw error;
  }
  return proc;
}

/** Kills (SIGKILL) every process started by startAtrium that may still run: for afterEach/afterAll. */
export async function killAllAtrium(): Promise<void> {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((p) => p.kill("SIGKILL")));
}
