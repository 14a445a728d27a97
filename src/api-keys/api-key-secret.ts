import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const KEY_PREFIX = "atr_";
const BODY_LENGTH = 43; // 43 base62 characters: 256 random bits
const CHECKSUM_LENGTH = 6;
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);
/** How many characters of the secret the key list shows (the contract's `prefix`). */
export const DISPLAY_PREFIX_LENGTH = 12;

function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

function checksum(body: string): string {
  const digest = createHash("sha256").update(body).digest();
  let value = digest.readUInt32BE(0) * 256 + (digest[4] ?? 0);
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/**
 * A new secret: `atr_`, 256 random bits in base62, and a 6-character checksum. The fixed
 * prefix lets secret scanners recognise a leaked key; the checksum refuses a mistyped one
 * without reading the database.
 */
export function newApiKeySecret(): string {
  const body = randomBase62(BODY_LENGTH);
  return `${KEY_PREFIX}${body}${checksum(body)}`;
}

export function isWellFormedApiKey(secret: string): boolean {
  if (!KEY_PATTERN.test(secret)) return false;
  const body = secret.slice(KEY_PREFIX.length, KEY_PREFIX.length + BODY_LENGTH);
  return checksum(body) === secret.slice(KEY_PREFIX.length + BODY_LENGTH);
}

export function hashApiKey(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
