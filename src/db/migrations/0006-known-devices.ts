/**
 * Browsers an account has signed in from: their device cookie exempts them from the
 * per-account sign-in limit, so that strangers flooding an account cannot lock its owner out.
 */
export const up = /* sql */ `
CREATE TABLE known_devices (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- SHA-256 of the device cookie's token, hex; the token itself is never stored.
  token_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz NOT NULL,
  CONSTRAINT known_devices_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX known_devices_user_idx ON known_devices (user_id, last_used_at);
`;
