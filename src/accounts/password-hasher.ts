import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";
import { fail } from "../lib/errors.js";

// Argon2id, 19 MiB, 2 passes, 1 lane: OWASP's minimum (SECURITY.md AUTH-02).
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Hashing and verifying passwords, off the event loop (libuv's pool) and bounded: at most
 * one fewer than the cores at once, so a flood of sign-ins leaves a core for serving
 * everything else; past a short queue, attempts are shed with 503 instead of piling up.
 */
export class PasswordHasher {
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  readonly #limit: number;
  #dummyHash: Promise<string> | undefined;

  constructor(
    limit = Math.max(1, availableParallelism() - 1),
    private readonly maxQueue = 64,
  ) {
    this.#limit = limit;
  }

  hash(password: string): Promise<string> {
    return this.#bounded(() => hash(password, OPTIONS));
  }

  /** False for a malformed stored hash as for a wrong password. */
  verify(storedHash: string, password: string): Promise<boolean> {
    return this.#bounded(() => verify(storedHash, password).catch(() => false));
  }

  /**
   * Verifies against a hash of a random password, so that an unknown email costs the same
   * time as a wrong password (no account enumeration by timing).
   */
  async verifyDummy(password: string): Promise<void> {
    this.#dummyHash ??= hash(crypto.randomUUID(), OPTIONS);
    await this.verify(await this.#dummyHash, password);
  }

  async #bounded<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) {
      if (this.#waiting.length >= this.maxQueue) {
        throw fail("unavailable", "The server is busy; try again in a moment.", { retryAfter: 1 });
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
