/**
 * Which hash each audit event carries: plain SHA-256, or HMAC-SHA256 under the operator's
 * ATRIUM_AUDIT_CHAIN_KEY. Stored per event so that a chain begun before the key was set still
 * verifies, and so that verification can tell a keyed chain that continues without the key.
 * Existing rows take 'sha256' without being rewritten (no row trigger fires).
 */
export const up = /* sql */ `
ALTER TABLE audit_events ADD COLUMN hash_alg text NOT NULL DEFAULT 'sha256';
ALTER TABLE audit_events ALTER COLUMN hash_alg DROP DEFAULT;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_hash_alg_check
  CHECK (hash_alg IN ('sha256', 'hmac-sha256'));
`;
