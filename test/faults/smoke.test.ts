import nodemailer from "nodemailer";
import { afterEach, describe, expect, it } from "vitest";
import { type AtriumProcess, killAllAtrium, startAtrium } from "./support/atrium-process.js";
import { type FreshDatabase, freshDatabase } from "./support/databases.js";
import { call, eventually, PUBLIC_URL, signUp } from "./support/http.js";
import { startRoundRobin } from "./support/round-robin.js";
import { type SmtpSink, startSmtpSink } from "./support/smtp-sink.js";

describe("the fault harness", () => {
  let database: FreshDatabase | undefined;
  let sink: SmtpSink | undefined;

  afterEach(async () => {
    await killAllAtrium();
    await sink?.close();
    await database?.drop();
  });

  it("runs a real process on this run's database, signs up through the proxy, and stops it", async () => {
    database = await freshDatabase();
    sink = await startSmtpSink();
    const atrium: AtriumProcess = await startAtrium({
      name: "A",
      env: { ...database.env, SMTP_URL: sink.url, PUBLIC_URL },
    });
    const proxy = await startRoundRobin([atrium]);
    try {
      const { cookie } = await signUp(proxy.url, "smoke@example.com", "Smoke Test");
      const me = await call(proxy.url, "GET", "/me", { cookie });
      expect(me.status, `answered by ${me.answeredBy}`).toBe(200);
      expect(me.answeredBy).toBe("A");
      expect(me.body.email).toBe("smoke@example.com");

      const verification = await eventually("the verification email at the SMTP sink", () =>
        sink?.messages().find((m) => m.to.includes("smoke@example.com")),
      );
      expect(verification.text).toContain(`${PUBLIC_URL}/verify-email?token=`);
      expect(verification.messageId).toMatch(/^<.+>$/);
    } finally {
      await proxy.close();
    }
    expect(await atrium.stop()).toEqual({ code: 0, signal: null });
    expect(atrium.output()).toContain("atrium is serving");
  });

  it("has an SMTP sink that goes down and comes back on the same port", async () => {
    sink = await startSmtpSink();
    const transport = nodemailer.createTransport(sink.url);
    const send = (subject: string) =>
      transport.sendMail({ from: "a@example.com", to: "b@example.com", subject, text: "hello" });
    await send("first");
    await sink.down();
    await expect(send("while down")).rejects.toThrow();
    await sink.up();
    await send("second");
    transport.close();
    expect(sink.messages().map((m) => [m.subject, m.to, m.text])).toEqual([
      ["first", ["b@example.com"], "hello"],
      ["second", ["b@example.com"], "hello"],
    ]);
  });
});
