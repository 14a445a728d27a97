import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  DISPLAY_PREFIX_LENGTH,
  hashApiKey,
  isWellFormedApiKey,
  KEY_PREFIX,
  newApiKeySecret,
} from "./api-key-secret.js";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The secret with the character at `index` replaced by a different base62 character. */
function withCharacterChanged(secret: string, index: number, replacement: string): string {
  return secret.slice(0, index) + replacement + secret.slice(index + 1);
}

describe("API key secrets", () => {
  it("are atr_ followed by 49 base62 characters, so at least 192 random bits plus a checksum", () => {
    const secret = newApiKeySecret();
    expect(KEY_PREFIX).toBe("atr_");
    expect(secret).toMatch(/^atr_[0-9A-Za-z]{49}$/);
    // 43 random base62 characters carry 43 × log2(62) ≈ 256 bits; the 6 others are the checksum.
    expect(43 * Math.log2(62)).toBeGreaterThanOrEqual(192);
    expect(DISPLAY_PREFIX_LENGTH).toBe(12);
  });

  it("are never the same twice and use the whole alphabet", () => {
    const secrets = Array.from({ length: 2000 }, () => newApiKeySecret());
    expect(new Set(secrets).size).toBe(secrets.length);
    // The shown prefix (atr_ + 8 random characters) differs too.
    const prefixes = new Set(secrets.map((s) => s.slice(0, DISPLAY_PREFIX_LENGTH)));
    expect(prefixes.size).toBe(secrets.length);
    const used = new Set(secrets.flatMap((s) => [...s.slice(KEY_PREFIX.length, 47)]));
    expect(used.size).toBe(62);
  });

  it("are recognised as well formed when they come from newApiKeySecret", () => {
    for (let i = 0; i < 200; i++) expect(isWellFormedApiKey(newApiKeySecret())).toBe(true);
  });

  it("lose their well-formedness when any one character is changed, anywhere after the prefix", () => {
    for (let round = 0; round < 3; round++) {
      const secret = newApiKeySecret();
      for (let index = KEY_PREFIX.length; index < secret.length; index++) {
        for (const replacement of ALPHABET) {
          if (replacement === secret[index]) continue;
          const mistyped = withCharacterChanged(secret, index, replacement);
          expect(isWellFormedApiKey(mistyped), `${index} → ${replacement}`).toBe(false);
        }
      }
    }
  });

  it("lose their well-formedness when two neighbouring characters are swapped", () => {
    const secret = newApiKeySecret();
    for (let index = KEY_PREFIX.length; index < secret.length - 1; index++) {
      if (secret[index] === secret[index + 1]) continue;
      const swapped =
        secret.slice(0, index) + secret[index + 1] + secret[index] + secret.slice(index + 2);
      expect(isWellFormedApiKey(swapped), `swap at ${index}`).toBe(false);
    }
  });

  it("are refused with another prefix, a wrong length or characters outside base62", () => {
    const secret = newApiKeySecret();
    const body = secret.slice(KEY_PREFIX.length);
    const refused = [
      "",
      "atr_",
      `ATR_${body}`,
      `atx_${body}`,
      `atr-${body}`,
      `sk_${body}`,
      body,
      `atr_${body}0`,
      `atr_${body.slice(1)}`,
      secret.slice(0, -1),
      `${secret} `,
      ` ${secret}`,
      `${secret}\n`,
      withCharacterChanged(secret, 10, "-"),
      withCharacterChanged(secret, 10, "_"),
      withCharacterChanged(secret, 10, "é"),
      withCharacterChanged(secret, 10, "\u0000"),
      `atr_${"A".repeat(49)}`,
      `atr_${"0".repeat(49)}`,
    ];
    for (const candidate of refused) {
      expect(isWellFormedApiKey(candidate), JSON.stringify(candidate)).toBe(false);
    }
  });

  it("are hashed with SHA-256 into 64 lowercase hex digits, the same secret always to the same hash", () => {
    const secret = newApiKeySecret();
    const hash = hashApiKey(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(hashApiKey(secret)).toBe(hash);
    expect(hashApiKey(newApiKeySecret())).not.toBe(hash);
    expect(hash).not.toContain(secret.slice(KEY_PREFIX.length));
  });
});
