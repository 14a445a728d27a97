import { createHash, randomBytes } from "node:crypto";

/** 256 random bits, base64url: the form of every session, reset, verification and invitation token. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Cheap syntactic check so malformed input never reaches the database. */
export function isWellFormedToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * Tokens are stored only as their SHA-256. Looking a token up by its hash also makes the
 * comparison constant-time with respect to the secret: an attacker's timing reveals only
 * where a hash (which they cannot steer) diverges.
 */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
