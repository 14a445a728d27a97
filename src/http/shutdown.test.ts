import type { AddressInfo, Socket } from "node:net";
import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { Mailbox, PUBLIC_URL } from "../../test/support/test-app.js";
import { createTestDatabase } from "../../test/support/test-database.js";
import { buildApp } from "../app.js";
import { loadConfig } from "../config.js";

/** A raw HTTP/1.1 connection: what it received, and when it closed. */
function rawConnection(port: number) {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (chunk) => {
    received += String(chunk);
  });
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  return { socket, closed, received: () => received };
}

/** The one HTTP response in `text`. */
function parseResponse(text: string) {
  const [head = "", body = ""] = text.split("\r\n\r\n");
  const [statusLine = "", ...headerLines] = head.split("\r\n");
  const headers = new Map(
    headerLines.map((l) => [
      l.slice(0, l.indexOf(":")).toLowerCase(),
      l.slice(l.indexOf(":") + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const written = (socket: Socket, text: string) =>
  new Promise<void>((resolve) => socket.write(text, () => resolve()));

describe("shutting down under requests", async () => {
  const database = await createTestDatabase();
  const app = await buildApp({
    config: loadConfig({ PUBLIC_URL, LOG_LEVEL: "silent", DATABASE_URL: database.url }),
    database: await database.open(),
    mailTransport: new Mailbox(),
    workers: false,
  });
  let release = () => {};
  let entered = () => {};
  const slowEntered = new Promise<void>((resolve) => {
    entered = resolve;
  });
  app.get("/api/v1/test/slow", { config: { public: true } }, async () => {
    entered();
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    return { status: "done" };
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it("finishes requests in flight, refuses new connections, serves a request on an open connection, then refuses late ones with 503", async () => {
    const inFlight = rawConnection(port);
    await written(inFlight.socket, "GET /api/v1/test/slow HTTP/1.1\r\nHost: atrium.test\r\n\r\n");
    await slowEntered;
    // Requests half sent when shutdown begins, completed during it.
    const early = rawConnection(port);
    const late = rawConnection(port);
    await written(early.socket, "GET /readyz HTTP/1.1\r\nHost: atrium.test\r\n");
    await written(late.socket, "GET /readyz HTTP/1.1\r\nHost: atrium.test\r\n");
    await pause(50);

    const started = Date.now();
    const closed = app.close();
    for (let i = 0; i < 200 && app.server.listening; i++) await pause(5);
    const refused = await new Promise<string>((resolve) => {
      const attempt = connect(port, "127.0.0.1");
      attempt.on("connect", () => resolve("connected"));
      attempt.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");

    // Early in the shutdown: served, and the connection closed after it.
    await written(early.socket, "\r\n");
    await early.closed;
    const served = parseResponse(early.received());
    expect(served.status).toBe(200);
    expect(served.headers.get("connection")).toBe("close");

    // Past the first seconds: the contract's 503, told to come back.
    await pause(5_200 - (Date.now() - started));
    await written(late.socket, "\r\n");
    await late.closed;
    const refusal = parseResponse(late.received());
    expect(refusal.status).toBe(503);
    expect(refusal.headers.get("retry-after")).toBe("1");
    expect(refusal.headers.get("connection")).toBe("close");
    expect(JSON.parse(refusal.body)).toEqual({
      error: { code: "unavailable", message: expect.any(String) },
    });

    release();
    await inFlight.closed;
    const done = parseResponse(inFlight.received());
    expect(done.status).toBe(200);
    expect(JSON.parse(done.body)).toEqual({ status: "done" });
    // The busy connection closed after its response rather than idling out its keep-alive.
    expect(done.headers.get("connection")).toBe("close");
    await closed;
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});
