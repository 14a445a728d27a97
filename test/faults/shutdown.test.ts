import { afterEach, describe, expect, it } from "vitest";
import { killAllAtrium, startAtrium } from "./support/atrium-process.js";
import { type FreshDatabase, freshDatabase } from "./support/databases.js";
import { eventually, nextClientIp, PUBLIC_URL, signUp, TRUST_LOCAL_PROXY } from "./support/http.js";
import { startLoad } from "./support/load.js";
import { type SmtpSink, startSmtpSink } from "./support/smtp-sink.js";

describe("SIGTERM", () => {
  let database: FreshDatabase | undefined;
  let sink: SmtpSink | undefined;

  afterEach(async () => {
    await killAllAtrium();
    await sink?.close();
    await database?.drop();
  });

  it("under load and with a large outbox on a slow SMTP server: exits 0 within the bound, and the mail is sent at once by the next process", async () => {
    database = await freshDatabase();
    sink = await startSmtpSink();
    sink.slow(60_000);
    const atrium = await startAtrium({
      name: "A",
      env: { ...database.env, SMTP_URL: sink.url, PUBLIC_URL, ...TRUST_LOCAL_PROXY },
    });
    const addresses: string[] = [];
    let cookie = "";
    for (let i = 0; i < 40; i++) {
      const email = `queued-${i}-${Date.now()}@example.com`;
      addresses.push(email);
      ({ cookie } = await signUp(atrium.url, email, "Queued", { ip: nextClientIp() }));
    }

    const load = startLoad(atrium.url, cookie, 6);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const signalled = Date.now();
    const exit = await atrium.stop();
    const tookMs = Date.now() - signalled;
    await load.stop();

    expect(exit).toEqual({ code: 0, signal: null });
    // Sends in flight get 5 s, requests in flight up to 10 s, side by side.
    expect(tookMs).toBeLessThan(12_000);
    expect(atrium.output()).toContain("gave back unfinished sends");
    const before = load.outcomes.filter((o) => o.at < signalled);
    expect(before.length).toBeGreaterThan(0);
    for (const outcome of load.outcomes) {
      // Served; or refused in the contract's shape; or not connected at all once it stopped listening.
      const fine =
        outcome.status === 200 ||
        (outcome.status === 503 && outcome.code === "unavailable" && outcome.retryAfter === "1") ||
        (outcome.at >= signalled && outcome.error === "ECONNREFUSED");
      expect(fine, JSON.stringify(outcome)).toBe(true);
    }

    // Claims were given back: the restarted process sends everything now, not after they lapse.
    sink.slow(0);
    const restarted = Date.now();
    await atrium.restart();
    for (const email of addresses) {
      await eventually(
        `the email to ${email}`,
        () => sink?.messages().find((m) => m.to.includes(email)),
        { timeoutMs: 30_000, everyMs: 200 },
      );
    }
    expect(Date.now() - restarted).toBeLessThan(30_000);
  });
});
