const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

export function isValidSlug(slug: string): boolean {
  return SLUG.test(slug) && !slug.includes("--");
}

/** A URL-safe slug from a name: "Ünïcode Ünion's Org" → "unicode-unions-org". */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return slug.length >= 1 ? slug : "org";
}
