-- Only the SHA-256 of a link token is stored; the token itself lives in the URL alone.
CREATE TABLE intake_links (
  id          TEXT PRIMARY KEY,
  ticket_id   TEXT NOT NULL REFERENCES tickets (id),
  token_hash  BLOB NOT NULL UNIQUE,
  created_by  TEXT,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  max_uses    INTEGER,
  uses        INTEGER NOT NULL DEFAULT 0,
  revoked_at  INTEGER
);
CREATE INDEX intake_links_ticket ON intake_links (ticket_id, created_at);
