/**
 * Social sign-in. An identity is an account at a provider, keyed by (issuer, subject): never by
 * email or by the provider's configured name, which both change. An OAuth flow is the one-time
 * record between the redirect to the provider and its callback.
 */
export const up = /* sql */ `
CREATE TABLE identities (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The configured provider's id (for display); the key is issuer and subject.
  provider text NOT NULL,
  issuer text NOT NULL,
  subject text NOT NULL,
  -- The address at the provider, as it last told us (may differ from the account's).
  email text,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz NOT NULL,
  CONSTRAINT identities_issuer_subject_key UNIQUE (issuer, subject)
);
CREATE INDEX identities_user_idx ON identities (user_id, id);

CREATE TABLE oauth_flows (
  id text PRIMARY KEY,
  -- SHA-256 of the state parameter and of the browser's binding cookie; neither is stored.
  state_hash text NOT NULL,
  browser_hash text NOT NULL,
  provider text NOT NULL,
  intent text NOT NULL CHECK (intent IN ('sign-in', 'link', 'reauthenticate')),
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  return_to text NOT NULL,
  -- The session that started a link or a re-authentication; it must still be there at the end.
  session_id text REFERENCES sessions (id) ON DELETE CASCADE,
  invitation_token_hash text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  CONSTRAINT oauth_flows_state_hash_key UNIQUE (state_hash)
);
CREATE INDEX oauth_flows_expires_idx ON oauth_flows (expires_at);
`;
