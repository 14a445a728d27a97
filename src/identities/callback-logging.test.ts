import { describe, expect, it } from "vitest";
import { redactUrl } from "../http/logging.js";

describe("logging a social sign-in callback", () => {
  it("redacts the code and the state, whatever their length, and keeps the rest", () => {
    const logged = redactUrl(
      "/api/v1/auth/oauth/github/callback?code=0123456789abcdef0123&state=short&iss=https%3A%2F%2Fidp",
    );
    expect(logged).toBe(
      "/api/v1/auth/oauth/github/callback?code=[redacted]&state=[redacted]&iss=https%3A%2F%2Fidp",
    );
  });
});
