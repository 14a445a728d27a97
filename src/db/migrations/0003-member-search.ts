/**
 * Trigram indexes so that searching members by any part of a name or email ("q") uses an
 * index instead of reading every account of a large organization.
 */
export const up = /* sql */ `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_name_trgm_idx ON users USING gin (name gin_trgm_ops);
CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
`;
