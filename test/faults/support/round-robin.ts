import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AtriumProcess } from "./atrium-process.js";

export interface RoundRobin {
  url: string;
  /** The name of the process that answered (the `x-answered-by` header), "proxy" if none did. */
  answeredBy(res: Response): string;
  /** How many requests each process answered so far. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

const ANSWERED_BY = "x-answered-by";
const UPSTREAM_TIMEOUT_MS = 60_000;

/**
 * A tiny HTTP load balancer on 127.0.0.1 in front of N processes, in turn. It adds
 * `x-answered-by: <name>` to every response so that failures name the process. Like a real
 * balancer it tries the next process when one refuses the connection (a process being
 * restarted), which is safe because nothing reached it; any other failure is a 502 from the
 * proxy (`x-answered-by: proxy`).
 */
export async function startRoundRobin(targets: AtriumProcess[]): Promise<RoundRobin> {
  if (targets.length === 0) throw new Error("startRoundRobin needs at least one target");
  let next = 0;
  const counts: Record<string, number> = {};

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    index: number,
    triesLeft: number,
  ) {
    const target = targets[index % targets.length]!;
    const upstream = request(
      `${target.url}${req.url ?? "/"}`,
      { method: req.method, headers: req.headers, timeout: UPSTREAM_TIMEOUT_MS },
      (answer) => {
        counts[target.name] = (counts[target.name] ?? 0) + 1;
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, [ANSWERED_BY]: target.name });
        answer.pipe(res);
      },
    );
    upstream.on("timeout", () => upstream.destroy(new Error("upstream timeout")));
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error.code === "ECONNREFUSED" && triesLeft > 1) {
        // The next process after the one that refused, not the next in the shared turn,
        // which other requests move on meanwhile and may bring back to the same one.
        forward(req, res, body, index + 1, triesLeft - 1);
        return;
      }
      res.writeHead(502, { "content-type": "text/plain", [ANSWERED_BY]: "proxy" });
      res.end(`proxy: ${target.name} failed: ${error.message}`);
    });
    upstream.end(body);
  }

  function pick(): number {
    return next++ % targets.length;
  }

  const server = createServer((req, res) => {
    // Bodies are small JSON: buffered, so that a refused connection can be retried elsewhere.
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => forward(req, res, Buffer.concat(chunks), pick(), targets.length));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    answeredBy: (res) => res.headers.get(ANSWERED_BY) ?? "proxy",
    counts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
