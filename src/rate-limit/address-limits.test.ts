import { describe, expect, it } from "vitest";
import { expectError, startTestApp } from "../../test/support/test-app.js";
import { POLICIES } from "./rate-limit.js";

const t = await startTestApp();
const LIMIT = POLICIES.emailsPerAddress.max;

/** A password-reset request (202 whatever the email) from one client address. */
const resetFrom = (ip: string) =>
  t.client({ ip }).post("/auth/password-reset", { email: "nobody@example.com" });

describe("per-address limits", () => {
  it("count every address of one IPv6 /64 as one client", async () => {
    // A host with a /64 rotating its address on every request.
    for (let i = 1; i <= LIMIT; i++) {
      expect((await resetFrom(`2001:db8:1:2::${i.toString(16)}`)).status).toBe(202);
    }
    expectError(await resetFrom("2001:db8:1:2:ffff:1:2:3"), 429, "rate_limited");
    // The next /64 is someone else.
    expect((await resetFrom("2001:db8:1:3::1")).status).toBe(202);
  });

  it("count an IPv4-mapped IPv6 address as its IPv4 address", async () => {
    for (let i = 0; i < LIMIT; i++) {
      const ip = i % 2 === 0 ? "192.0.2.77" : "::ffff:192.0.2.77";
      expect((await resetFrom(ip)).status).toBe(202);
    }
    expectError(await resetFrom("::ffff:192.0.2.77"), 429, "rate_limited");
    expectError(await resetFrom("192.0.2.77"), 429, "rate_limited");
    expect((await resetFrom("192.0.2.78")).status).toBe(202);
  });
});
