/** Accounts, sessions, one-time account tokens, the audit log, the mail outbox and rate limits. */
export const up = /* sql */ `
CREATE TABLE users (
  id text PRIMARY KEY,
  email text NOT NULL,
  -- Trimmed, NFC, lowercased, punycode domain: uniqueness is decided on this form.
  email_canonical text NOT NULL,
  name text NOT NULL,
  password_hash text,
  email_verified_at timestamptz,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT users_email_canonical_key UNIQUE (email_canonical),
  CONSTRAINT users_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
  CONSTRAINT users_email_length CHECK (octet_length(email) <= 254)
);

CREATE TABLE sessions (
  id text PRIMARY KEY,
  -- SHA-256 of the cookie's token, hex; the token itself is never stored.
  token_hash text NOT NULL,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  -- Last sign-in or re-authentication: freshness counts from here, never from renewal.
  authenticated_at timestamptz NOT NULL,
  renewed_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  last_active_at timestamptz NOT NULL,
  ip_address text,
  user_agent text,
  CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id, created_at);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Email verification, email change and password reset links; a row is deleted when used.
CREATE TABLE account_tokens (
  id text PRIMARY KEY,
  token_hash text NOT NULL,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose text NOT NULL,
  -- The address the link was sent to (for an email change, the new address).
  email text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  CONSTRAINT account_tokens_token_hash_key UNIQUE (token_hash),
  CONSTRAINT account_tokens_purpose_check
    CHECK (purpose IN ('email_verification', 'email_change', 'password_reset'))
);
CREATE INDEX account_tokens_user_purpose_idx ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expires_at_idx ON account_tokens (expires_at);

-- No foreign keys: events outlive the accounts and organizations they mention.
CREATE TABLE audit_events (
  id text PRIMARY KEY,
  action text NOT NULL,
  actor_type text NOT NULL,
  actor_id text,
  actor_email text,
  -- The account the event is about, for the account's own security log.
  subject_user_id text,
  organization_id text,
  target_type text,
  target_id text,
  ip_address text,
  user_agent text,
  request_id text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL,
  CONSTRAINT audit_events_actor_type_check CHECK (actor_type IN ('user', 'api_key', 'system'))
);
CREATE INDEX audit_events_subject_idx ON audit_events (subject_user_id, id DESC)
  WHERE subject_user_id IS NOT NULL;
CREATE INDEX audit_events_organization_idx ON audit_events (organization_id, id DESC)
  WHERE organization_id IS NOT NULL;

CREATE TABLE outbox_emails (
  id text PRIMARY KEY,
  to_address text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  -- A worker claims a message until this time; a crashed worker's claim simply runs out.
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL,
  sent_at timestamptz,
  CONSTRAINT outbox_emails_status_check CHECK (status IN ('pending', 'sent', 'failed'))
);
CREATE INDEX outbox_emails_due_idx ON outbox_emails (next_attempt_at) WHERE status = 'pending';

CREATE TABLE rate_limits (
  key text PRIMARY KEY,
  hits integer NOT NULL,
  rejected integer NOT NULL DEFAULT 0,
  window_started_at timestamptz NOT NULL,
  blocked_until timestamptz
);
`;
