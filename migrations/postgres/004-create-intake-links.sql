-- Only the SHA-256 of a link token is stored; the token itself lives in the URL alone.
CREATE TABLE intake_links (
  id          TEXT COLLATE "C" PRIMARY KEY,
  ticket_id   TEXT COLLATE "C" NOT NULL REFERENCES tickets (id),
  token_hash  BYTEA NOT NULL UNIQUE,
  created_by  TEXT COLLATE "C",
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  max_uses    INTEGER,
  uses        INTEGER NOT NULL DEFAULT 0,
  revoked_at  BIGINT
);
CREATE INDEX intake_links_ticket ON intake_links (ticket_id, created_at);
