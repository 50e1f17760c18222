-- Console sign-in sessions. The cookie carries a random token; only its SHA-256 is stored. A
-- session ends (ended_at) at logout, when it is replaced by a fresh sign-in, or when its staff
-- member is disabled or their password changes; an ended or expired session is refused.
CREATE TABLE staff_sessions (
  id               TEXT COLLATE "C" PRIMARY KEY,
  token_hash       BYTEA NOT NULL UNIQUE,
  staff_id         TEXT COLLATE "C" NOT NULL REFERENCES staff (id),
  method           TEXT NOT NULL CHECK (method IN ('password', 'oidc')),
  created_at       BIGINT NOT NULL,
  authenticated_at BIGINT NOT NULL,
  last_seen_at     BIGINT NOT NULL,
  expires_at       BIGINT NOT NULL,
  ended_at         BIGINT,
  ended_because    TEXT,
  CONSTRAINT staff_sessions_ended_because CHECK (ended_because IN ('logout', 'replaced', 'staff_disabled', 'password_changed'))
);
CREATE INDEX staff_sessions_live ON staff_sessions (staff_id) WHERE ended_at IS NULL;
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);
