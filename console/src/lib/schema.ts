import { z } from "zod/mini";

/** Form rules, on zod's mini build: the sign-in page's whole budget is 150 KB gzipped. */
export { z };

/** A field that must not be blank, trimmed. */
export const required = (message: string) => z.string().check(z.trim(), z.minLength(1, message));

/** A field of at least `length` characters (passwords: not trimmed). */
export const atLeast = (length: number, message: string) =>
  z.string().check(z.minLength(length, message));
