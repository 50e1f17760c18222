-- A console session says how its member proved who they are, second factor included
-- ('password+totp', 'password+recovery', 'passkey'), and whether they must enrol a second factor
-- before anything else (MFA_REQUIRED or the admin's switch, decision 022). SQLite cannot change a
-- CHECK in place, so the table is rebuilt as 019 left it, plus the new column.
CREATE TABLE staff_sessions_new (
  id               TEXT PRIMARY KEY,
  token_hash       BLOB NOT NULL UNIQUE,
  staff_id         TEXT NOT NULL REFERENCES staff (id),
  method           TEXT NOT NULL CHECK (method IN ('password', 'oidc', 'password+totp', 'password+recovery', 'passkey')),
  created_at       INTEGER NOT NULL,
  authenticated_at INTEGER NOT NULL,
  last_seen_at     INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  ended_at         INTEGER,
  ended_because    TEXT CHECK (ended_because IN ('logout', 'replaced', 'staff_disabled', 'password_changed', 'tokens_revoked')),
  enrolment_due    INTEGER NOT NULL DEFAULT 0 CHECK (enrolment_due IN (0, 1))
);
INSERT INTO staff_sessions_new (id, token_hash, staff_id, method, created_at, authenticated_at, last_seen_at, expires_at, ended_at, ended_because)
  SELECT id, token_hash, staff_id, method, created_at, authenticated_at, last_seen_at, expires_at, ended_at, ended_because FROM staff_sessions;
DROP TABLE staff_sessions;
ALTER TABLE staff_sessions_new RENAME TO staff_sessions;
CREATE INDEX staff_sessions_live ON staff_sessions (staff_id) WHERE ended_at IS NULL;
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);
