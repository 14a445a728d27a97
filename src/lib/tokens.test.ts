import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashToken, isWellFormedToken, newToken } from "./tokens.js";

describe("newToken", () => {
  it("is 43 base64url characters that decode to 32 random bytes", () => {
    const token = newToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(isWellFormedToken(token)).toBe(true);
  });

  it("never repeats", () => {
    const tokens = new Set(Array.from({ length: 10_000 }, () => newToken()));
    expect(tokens.size).toBe(10_000);
  });

  it("uses the whole base64url alphabet over many tokens", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) for (const char of newToken()) seen.add(char);
    expect(seen.size).toBe(64);
  });
});

describe("hashToken", () => {
  it("is the SHA-256 of the token as 64 lowercase hex digits", () => {
    expect(hashToken("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    const token = newToken();
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).toBe(createHash("sha256").update(token).digest("hex"));
  });

  it("gives the same token the same hash and different tokens different hashes", () => {
    const a = newToken();
    const b = newToken();
    expect(hashToken(a)).toBe(hashToken(a));
    expect(hashToken(a)).not.toBe(hashToken(b));
  });

  it("does not contain the token", () => {
    const token = newToken();
    expect(hashToken(token)).not.toContain(token);
  });
});

describe("isWellFormedToken", () => {
  const token = newToken();

  it("refuses tokens of the wrong length", () => {
    expect(isWellFormedToken(token.slice(0, 42))).toBe(false);
    expect(isWellFormedToken(`${token}A`)).toBe(false);
    expect(isWellFormedToken("")).toBe(false);
  });

  it("refuses standard base64 characters, padding, whitespace and line breaks", () => {
    for (const bad of ["+", "/", "=", " ", "."]) {
      expect(isWellFormedToken(`${token.slice(0, 42)}${bad}`)).toBe(false);
    }
    expect(isWellFormedToken(`${token}\n`)).toBe(false);
    expect(isWellFormedToken(` ${token}`)).toBe(false);
  });
});
