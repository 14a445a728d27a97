/** Cc: the C0 controls, DEL and the C1 controls (U+0080–U+009F, which terminals obey as escapes). */
const CONTROL = /\p{Cc}/gu;

/**
 * Text from a request as it may be stored: each control character written out as `\xHH`, so
 * that an export, a log or `atrium audit export` on a terminal prints it as text and never
 * runs it. Then cut to `max` characters.
 */
export function printable(text: string, max: number): string {
  return text
    .replace(CONTROL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`)
    .slice(0, max);
}
