/** Organizations, their members, and invitations to join them. */
export const up = /* sql */ `
CREATE TABLE organizations (
  id text PRIMARY KEY,
  slug text NOT NULL,
  name text NOT NULL,
  -- Canonical (lowercase, punycode) domains; empty means invitations may go to any address.
  allowed_email_domains text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT organizations_slug_key UNIQUE (slug),
  CONSTRAINT organizations_slug_format CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$'),
  CONSTRAINT organizations_name_length CHECK (char_length(name) BETWEEN 1 AND 100)
);

CREATE TABLE organization_members (
  id text PRIMARY KEY,
  organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT organization_members_user_key UNIQUE (organization_id, user_id),
  CONSTRAINT organization_members_role_check CHECK (role IN ('owner', 'admin', 'member'))
);
-- Member ids are time-ordered: keyset pages by id cost the same at any depth.
CREATE INDEX organization_members_page_idx ON organization_members (organization_id, id);
CREATE INDEX organization_members_role_page_idx ON organization_members (organization_id, role, id);
CREATE INDEX organization_members_user_idx ON organization_members (user_id);

CREATE TABLE invitations (
  id text PRIMARY KEY,
  organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email text NOT NULL,
  email_canonical text NOT NULL,
  role text NOT NULL,
  delivery text NOT NULL,
  token_hash text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  invited_by_user_id text REFERENCES users (id) ON DELETE SET NULL,
  -- Kept as written at the time: the preview still names the inviter if their account goes.
  invited_by_name text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  responded_at timestamptz,
  CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
  CONSTRAINT invitations_role_check CHECK (role IN ('owner', 'admin', 'member')),
  CONSTRAINT invitations_delivery_check CHECK (delivery IN ('email', 'link')),
  CONSTRAINT invitations_status_check
    CHECK (status IN ('pending', 'accepted', 'declined', 'revoked', 'expired'))
);
-- One pending invitation per organization and address, whatever the races (SECURITY.md INV-02).
CREATE UNIQUE INDEX invitations_pending_key ON invitations (organization_id, email_canonical)
  WHERE status = 'pending';
CREATE INDEX invitations_pending_email_idx ON invitations (email_canonical) WHERE status = 'pending';
CREATE INDEX invitations_organization_idx ON invitations (organization_id, id);
`;
