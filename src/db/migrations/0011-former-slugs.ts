/**
 * The slugs an organization went by before, so that old links still find it. A slug is kept
 * here until another organization takes it; the organization's current slug always wins.
 */
export const up = /* sql */ `
CREATE TABLE organization_former_slugs (
  slug text PRIMARY KEY,
  organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  replaced_at timestamptz NOT NULL
);
CREATE INDEX organization_former_slugs_organization_idx ON organization_former_slugs (organization_id);
`;
