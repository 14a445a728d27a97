import { domainToASCII } from "node:url";

export type EmailCheck =
  | { ok: true; email: string; canonical: string; domain: string }
  | { ok: false; reason: string };

// Characters that render as nothing or reorder text (format, control, separators other than
// the ASCII space), and look-alike at-signs: each lets two different strings look the same.
const FORBIDDEN =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\uff20\ufe6b\ufeff\ufffc\ufffd]/u;
// Dot-atoms only (no quoted local parts). Each repetition is anchored by a dot, so matching is
// linear in the input: no nested quantifier can backtrack.
const LOCAL_PART =
  /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

const utf8Length = (text: string) => Buffer.byteLength(text, "utf8");

/** The canonical, ASCII (punycode) form of a domain, or undefined when it is not a hostname. */
export function canonicalDomain(domain: string): string | undefined {
  const trimmed = domain.trim().normalize("NFC").toLowerCase();
  if (trimmed === "" || trimmed.endsWith(".") || FORBIDDEN.test(trimmed) || /\s/.test(trimmed)) {
    return undefined;
  }
  // domainToASCII parses a URL host: it would turn "acme.com/x" or "acme.com?evil.io" into
  // "acme.com". From the ASCII range, only letters, digits, hyphens and dots may reach it.
  if (/[^a-z0-9.\u0080-\u{10ffff}-]/u.test(trimmed)) return undefined;
  const ascii = domainToASCII(trimmed);
  if (!ascii || ascii.length > 253) return undefined;
  const labels = ascii.split(".");
  if (labels.length < 2) return undefined;
  if (!labels.every((label) => ASCII_LABEL.test(label))) return undefined;
  const tld = labels[labels.length - 1]!;
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) return undefined;
  return ascii;
}

/**
 * Checks an email address as typed and returns it trimmed (as it will be stored and shown)
 * with its canonical form (NFC, lowercase, punycode domain), which is what uniqueness and
 * comparisons use.
 */
export function checkEmail(input: string): EmailCheck {
  const email = input.trim().normalize("NFC");
  if (email.length === 0) return { ok: false, reason: "is empty" };
  if (utf8Length(email) > 254) return { ok: false, reason: "is longer than 254 bytes" };
  if (FORBIDDEN.test(email) || /\s/.test(email)) {
    return { ok: false, reason: "contains invisible, control or look-alike characters" };
  }
  const at = email.lastIndexOf("@");
  if (at <= 0 || email.indexOf("@") !== at) return { ok: false, reason: "must contain one @" };
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (utf8Length(local) > 64) return { ok: false, reason: "has a local part over 64 bytes" };
  if (!LOCAL_PART.test(local)) return { ok: false, reason: "has an invalid local part" };
  const asciiDomain = canonicalDomain(domain);
  if (!asciiDomain) return { ok: false, reason: "has an invalid domain" };
  return {
    ok: true,
    email,
    canonical: `${local.toLowerCase()}@${asciiDomain}`,
    domain: asciiDomain,
  };
}
