import { afterEach, describe, expect, it } from "vitest";
import { killAllAtrium, startAtrium } from "./support/atrium-process.js";
import { type FreshDatabase, freshDatabase } from "./support/databases.js";
import { eventually, nextClientIp, PUBLIC_URL, signUp, TRUST_LOCAL_PROXY } from "./support/http.js";
import { type SmtpSink, startSmtpSink } from "./support/smtp-sink.js";

interface FailureLine {
  emailId: string;
  attempts: number;
  time: number;
}

/** The "email delivery failed" lines a process logged so far. */
function deliveryFailures(output: string): FailureLine[] {
  return output
    .split("\n")
    .filter((line) => line.includes('"email delivery failed"'))
    .map((line) => JSON.parse(line) as FailureLine);
}

describe("an SMTP outage", () => {
  let database: FreshDatabase | undefined;
  let sink: SmtpSink | undefined;

  afterEach(async () => {
    await killAllAtrium();
    await sink?.close();
    await database?.drop();
  });

  it("keeps mail across a restart, retries with backoff, and delivers each message once when SMTP is back", async () => {
    database = await freshDatabase();
    sink = await startSmtpSink();
    const atrium = await startAtrium({
      name: "A",
      env: { ...database.env, SMTP_URL: sink.url, PUBLIC_URL, ...TRUST_LOCAL_PROXY },
    });
    await sink.down();

    const addresses = Array.from({ length: 5 }, (_, i) => `outage-${i}-${Date.now()}@example.com`);
    for (const email of addresses)
      await signUp(atrium.url, email, "Outage", { ip: nextClientIp() });
    // Every message has failed once...
    await eventually(
      "a first failed attempt of each message",
      () =>
        new Set(deliveryFailures(atrium.output()).map((f) => f.emailId)).size >= 5
          ? true
          : undefined,
      { timeoutMs: 20_000 },
    );

    // ...and the process restarts while SMTP is still down: nothing queued may be lost.
    expect(await atrium.stop()).toEqual({ code: 0, signal: null });
    await atrium.restart();
    await eventually(
      "a second failed attempt, made by the restarted process",
      () => (deliveryFailures(atrium.output()).some((f) => f.attempts === 2) ? true : undefined),
      { timeoutMs: 20_000 },
    );
    await sink.up();

    // The third attempt comes about 10 s after the second.
    for (const email of addresses) {
      await eventually(
        `the verification email to ${email}`,
        () => sink?.messages().find((m) => m.to.includes(email)),
        { timeoutMs: 30_000, everyMs: 200 },
      );
    }
    // Time for a stray duplicate to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const delivered = sink.messages().filter((m) => addresses.some((a) => m.to.includes(a)));
    expect(delivered).toHaveLength(5);
    for (const email of addresses) {
      expect(
        delivered.filter((m) => m.to.includes(email)),
        email,
      ).toHaveLength(1);
    }
    for (const message of delivered)
      expect(message.messageId).toMatch(/^<msg_[0-9a-z]{26}@atrium\.test>$/);

    // Backoff: each message's second attempt came about 5 s (with ±20 % jitter) after its first.
    const failures = deliveryFailures(atrium.output());
    const gaps = failures
      .filter((f) => f.attempts === 1)
      .flatMap((first) =>
        failures
          .filter((f) => f.emailId === first.emailId && f.attempts === 2)
          .map((second) => second.time - first.time),
      );
    expect(gaps.length).toBeGreaterThan(0);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(4_000);
    expect(failures.every((f) => f.attempts <= 3)).toBe(true);
  });
});
