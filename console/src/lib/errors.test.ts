import { describe, expect, it } from "vitest";
import { ApiError } from "./api";
import { errorMessage, fieldErrors, waitText } from "./errors";

describe("error mapping", () => {
  it("says the same thing for a wrong email or password", () => {
    const error = new ApiError(401, "invalid_credentials", "Wrong email or password.");
    expect(errorMessage(error)).toBe("Invalid email or password.");
  });

  it("says how long a rate-limited person waits", () => {
    expect(errorMessage(new ApiError(429, "rate_limited", "x", [], 120))).toBe(
      "Too many attempts. Try again in 2 minutes.",
    );
    expect(waitText(1)).toBe("1 second");
    expect(waitText(61)).toBe("2 minutes");
  });

  it("explains that an invite-only instance needs an invitation", () => {
    expect(errorMessage(new ApiError(403, "signup_disabled", "x"))).toMatch(/needs an invitation/);
  });

  it("keeps the API's message for other codes", () => {
    expect(errorMessage(new ApiError(409, "email_taken", "That email is taken."))).toBe(
      "That email is taken.",
    );
  });

  it("puts the API's details next to the form's fields", () => {
    const weak = new ApiError(422, "weak_password", "Too common.", [
      { field: "password", problem: "This is a very common password." },
    ]);
    expect(fieldErrors(weak, ["email", "password"])).toEqual({
      password: "This is a very common password.",
    });
    const invalid = new ApiError(400, "invalid_request", "x", [
      { field: "email", problem: "must be an email address" },
      { field: "other", problem: "is not a known field" },
    ]);
    expect(fieldErrors(invalid, ["email"])).toEqual({
      email: "The email must be an email address.",
    });
    expect(fieldErrors(new Error("x"), ["email"])).toEqual({});
  });
});
