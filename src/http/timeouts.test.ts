import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { PUBLIC_URL } from "../../test/support/test-app.js";
import { createTestDatabase } from "../../test/support/test-database.js";
import { buildApp } from "../app.js";
import { loadConfig } from "../config.js";

// A real listening server: timeouts and the HTTP parser's refusals live below app.inject().
const TIMEOUT_MS = 2000;
const database = await createTestDatabase();
const app = await buildApp({
  config: loadConfig({
    PUBLIC_URL,
    LOG_LEVEL: "silent",
    DATABASE_URL: database.url,
    ATRIUM_REQUEST_TIMEOUT: "2s",
  }),
  database: await database.open(),
  workers: false,
});
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;
afterAll(async () => {
  await app.close();
  await database.drop();
});

interface RawAnswer {
  /** Milliseconds from the first byte sent until the server closed the connection. */
  elapsed: number;
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `first`, then one byte of `drip` every 500 ms, as a slow-drip client does, and reads
 * until the server closes the connection (or 15 s pass).
 */
function slowClient(first: string, drip = ""): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const started = Date.now();
    let received = "";
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < drip.length && socket.writable) socket.write(drip[sent++] ?? "");
    }, 500);
    const giveUp = setTimeout(
      () => socket.destroy(new Error("the server kept the connection")),
      15_000,
    );
    socket.on("connect", () => socket.write(first));
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      const elapsed = Date.now() - started;
      const [head = "", body = ""] = received.split("\r\n\r\n");
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers = Object.fromEntries(
        lines.map((line) => {
          const at = line.indexOf(":");
          return [line.slice(0, at).toLowerCase(), line.slice(at + 1).trim()];
        }),
      );
      if (!received) return reject(new Error(`closed after ${elapsed} ms without an answer`));
      resolve({ elapsed, status: Number(statusLine.split(" ")[1]), headers, body });
    });
  });
}

function expectContractError(answer: RawAnswer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(JSON.parse(answer.body)).toEqual({ error: { code, message: expect.any(String) } });
  expect(answer.headers["x-content-type-options"]).toBe("nosniff");
  expect(answer.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(answer.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
}

describe("request timeouts on a listening server", () => {
  it("answers a body dripped one byte at a time with 408 request_timeout within the bound", async () => {
    const head = [
      "POST /api/v1/auth/sign-in HTTP/1.1",
      "Host: atrium.test",
      "Content-Type: application/json",
      "Content-Length: 200",
      "",
      "",
    ].join("\r\n");
    const answer = await slowClient(`${head}{`, `"email":"${"a".repeat(150)}`);
    expectContractError(answer, 408, "request_timeout");
    expect(answer.elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(answer.elapsed).toBeLessThan(TIMEOUT_MS + 2000);
  });

  it("answers headers dripped one line at a time with 408 within the bound", async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `X-Drip-${i}: y\r\n`).join("");
    const answer = await slowClient("GET /healthz HTTP/1.1\r\nHost: atrium.test\r\n", lines);
    expectContractError(answer, 408, "request_timeout");
    expect(answer.elapsed).toBeLessThan(TIMEOUT_MS + 2000);
  });

  it("still serves a request that arrives in time", async () => {
    const answer = await slowClient(
      "GET /healthz HTTP/1.1\r\nHost: atrium.test\r\nConnection: close\r\n\r\n",
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: "ok" });
  });
});

describe("refusals of the HTTP parser", () => {
  it("answers oversized headers with 431 headers_too_large in the contract's shape", async () => {
    const answer = await slowClient(
      `GET /healthz HTTP/1.1\r\nHost: atrium.test\r\nX-Big: ${"y".repeat(20_000)}\r\n\r\n`,
    );
    expectContractError(answer, 431, "headers_too_large");
  });

  it("answers a URL longer than the headers may be with 414 uri_too_long, quoting none of it", async () => {
    const answer = await slowClient(
      `GET /api/v1/invitations/${"u".repeat(20_000)} HTTP/1.1\r\nHost: atrium.test\r\n\r\n`,
    );
    expectContractError(answer, 414, "uri_too_long");
    expect(answer.body).not.toContain("uuuu");
  });

  it("answers a request that is not HTTP with 400 invalid_request in the contract's shape", async () => {
    const answer = await slowClient("GARBAGE\r\n\r\n");
    expectContractError(answer, 400, "invalid_request");
  });
});
