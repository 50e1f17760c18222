-- Console sign-in sessions. The cookie carries a random token; only its SHA-256 is stored. A
-- session ends (ended_at) at logout, when it is replaced by a fresh sign-in, or when its staff
-- member is disabled or their password changes; an ended or expired session is refused.
CREATE TABLE staff_sessions (
  id               TEXT PRIMARY KEY,
  token_hash       BLOB NOT NULL UNIQUE,
  staff_id         TEXT NOT NULL REFERENCES staff (id),
  method           TEXT NOT NULL CHECK (method IN ('password', 'oidc')),
  created_at       INTEGER NOT NULL,
  authenticated_at INTEGER NOT NULL,
  last_seen_at     INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  ended_at         INTEGER,
  ended_because    TEXT CHECK (ended_because IN ('logout', 'replaced', 'staff_disabled', 'password_changed'))
);
CREATE INDEX staff_sessions_live ON staff_sessions (staff_id) WHERE ended_at IS NULL;
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);
