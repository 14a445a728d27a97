/** Where a flow may send the browser back to: a path on this site, decided by parsing. */

const FALLBACK = "/";
const MAX_DECODES = 3;

/** Shapes a browser reads as another host: `//host`, `/\host`, and anything with a backslash. */
function looksForeign(path: string): boolean {
  // Control characters include the tab and newlines that browsers strip from URLs; a plain
  // space is only data (a decoded `%20` in a search).
  return !path.startsWith("/") || path.startsWith("//") || /[\\\p{Cc}]/u.test(path);
}

/**
 * The same-site path to return to, or `/`. Absolute URLs, protocol-relative and backslash
 * forms, and their percent-encoded variants (checked again after each decoding, as a router
 * or a later redirect might decode them) all fall back to `/`. The path is then resolved
 * against the site's own origin, and kept only if it is still on it.
 */
export function safeReturnPath(raw: string | undefined, publicUrl: string): string {
  if (raw === undefined || raw === "" || raw.length > 1024) return FALLBACK;
  let decoded = raw;
  for (let round = 0; round <= MAX_DECODES; round++) {
    if (looksForeign(decoded)) return FALLBACK;
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return FALLBACK;
    }
    if (next === decoded) break;
    if (round === MAX_DECODES) return FALLBACK;
    decoded = next;
  }
  const site = new URL(publicUrl);
  let resolved: URL;
  try {
    resolved = new URL(raw, site);
  } catch {
    return FALLBACK;
  }
  if (resolved.origin !== site.origin) return FALLBACK;
  // Checked again once resolved: dot segments (`/..//evil`) can collapse into `//evil`.
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  return looksForeign(path) ? FALLBACK : path;
}
