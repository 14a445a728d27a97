/**
 * A credentials epoch on each account, stamped on every account token (email change, email
 * verification, password reset) when it is issued. Everything that throws an intruder out
 * (a password reset or change, signing out other sessions, disabling, a completed email
 * change) moves the account's epoch on, so a link from before it is refused even if deleting
 * the account's pending links had missed it.
 */
export const up = /* sql */ `
ALTER TABLE users ADD COLUMN credentials_epoch integer NOT NULL DEFAULT 0;
ALTER TABLE account_tokens ADD COLUMN credentials_epoch integer NOT NULL DEFAULT 0;

-- Links issued before this migration outlived such actions: the audit log says when those
-- happened, so the links they should have ended end now.
DELETE FROM account_tokens t
WHERE EXISTS (
  SELECT 1 FROM audit_events e
  WHERE e.subject_user_id = t.user_id
    AND e.created_at >= t.created_at
    AND (
      e.action IN ('user.password_reset', 'user.password_changed', 'user.disabled', 'user.email_changed')
      OR (e.action = 'session.revoked' AND e.metadata ->> 'scope' IN ('others', 'all'))
    )
);
`;
