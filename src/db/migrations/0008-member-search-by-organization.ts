/**
 * Member search (`?q=`) filters an organization's own rows: each membership carries a copy of
 * its account's name and email, kept by triggers, with trigram indexes. The planner then walks
 * a small organization's members by its index, and a large one's matches by trigram, and never
 * scans the accounts of the whole instance.
 *
 * A membership takes a share lock on its account row while copying, so a concurrent rename
 * either lands before the copy (and is copied) or waits for the membership (and updates it).
 */
export const up = /* sql */ `
ALTER TABLE organization_members ADD COLUMN search_name text, ADD COLUMN search_email text;
UPDATE organization_members m SET search_name = u.name, search_email = u.email
  FROM users u WHERE u.id = m.user_id;
ALTER TABLE organization_members
  ALTER COLUMN search_name SET NOT NULL,
  ALTER COLUMN search_email SET NOT NULL;

CREATE FUNCTION organization_members_copy_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT name, email INTO NEW.search_name, NEW.search_email
    FROM users WHERE id = NEW.user_id FOR SHARE;
  RETURN NEW;
END $$;
CREATE TRIGGER organization_members_copy_account
  BEFORE INSERT OR UPDATE OF user_id, search_name, search_email ON organization_members
  FOR EACH ROW EXECUTE FUNCTION organization_members_copy_account();

CREATE FUNCTION users_copy_to_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE organization_members SET search_name = NEW.name, search_email = NEW.email
    WHERE user_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER users_copy_to_memberships
  AFTER UPDATE OF name, email ON users
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email)
  EXECUTE FUNCTION users_copy_to_memberships();

-- fastupdate off: no pending list, whose unmerged entries make the planner shun the index
-- until a VACUUM (which the embedded database never runs by itself). Memberships change
-- rarely; searches are what must be fast.
CREATE INDEX organization_members_name_trgm_idx
  ON organization_members USING gin (search_name gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX organization_members_email_trgm_idx
  ON organization_members USING gin (search_email gin_trgm_ops) WITH (fastupdate = off);
`;
