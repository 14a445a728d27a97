/** API keys, and tamper evidence for the audit log (a hash chain per organization or account). */
export const up = /* sql */ `
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- A key bound to an organization acts only inside it; it goes with the organization.
  organization_id text REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  -- The first 12 characters of the secret, to recognise a key; the secret itself is never stored.
  prefix text NOT NULL,
  secret_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash),
  CONSTRAINT api_keys_name_length CHECK (char_length(name) BETWEEN 1 AND 100)
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, id);

-- Every event belongs to one chain: its organization's, else its account's, else the system's.
ALTER TABLE audit_events
  ADD COLUMN chain_key text,
  ADD COLUMN seq bigint,
  ADD COLUMN prev_hash text,
  ADD COLUMN hash text;
CREATE UNIQUE INDEX audit_events_chain_idx ON audit_events (chain_key, seq);
CREATE INDEX audit_events_created_idx ON audit_events (created_at);

-- The head of each chain, locked while an event is appended so that concurrent events queue.
CREATE TABLE audit_chains (
  chain_key text PRIMARY KEY,
  last_seq bigint NOT NULL,
  last_hash text NOT NULL
);

-- What retention removed: verification of a chain starts after the last removed event.
CREATE TABLE audit_prunes (
  id text PRIMARY KEY,
  chain_key text NOT NULL,
  through_seq bigint NOT NULL,
  through_hash text NOT NULL,
  removed bigint NOT NULL,
  cutoff timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX audit_prunes_chain_idx ON audit_prunes (chain_key, through_seq DESC);

-- Events written before chaining existed start each chain (seq 0 onwards, oldest first).
WITH ordered AS (
  SELECT id, COALESCE(organization_id, 'user:' || subject_user_id, 'system') AS chain_key,
         row_number() OVER (PARTITION BY COALESCE(organization_id, 'user:' || subject_user_id, 'system') ORDER BY id) AS n
  FROM audit_events
)
UPDATE audit_events e SET chain_key = o.chain_key, seq = o.n, prev_hash = 'legacy', hash = 'legacy'
FROM ordered o WHERE e.id = o.id;
INSERT INTO audit_chains (chain_key, last_seq, last_hash)
  SELECT chain_key, max(seq), 'legacy' FROM audit_events GROUP BY chain_key;
ALTER TABLE audit_events
  ALTER COLUMN chain_key SET NOT NULL,
  ALTER COLUMN seq SET NOT NULL,
  ALTER COLUMN prev_hash SET NOT NULL,
  ALTER COLUMN hash SET NOT NULL;

-- The application never changes an audit row; retention deletes only after saying so.
CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('atrium.audit_retention', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
`;
