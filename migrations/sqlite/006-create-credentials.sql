-- Metadata only: kind, label and timestamps are the only clear-text facts about a credential.
CREATE TABLE credentials (
  id             TEXT PRIMARY KEY,
  ticket_id      TEXT NOT NULL REFERENCES tickets (id),
  receipt_id     TEXT NOT NULL REFERENCES receipts (id),
  intake_link_id TEXT REFERENCES intake_links (id),
  kind           TEXT NOT NULL CHECK (kind IN ('ftp', 'ssh', 'teamviewer', 'api', 'web-login', 'other')),
  label          TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('active', 'restricted', 'expired', 'revoked', 'withdrawn', 'purged')),
  ended_because  TEXT CHECK (ended_because IN ('ticket_closed', 'expired', 'revoked', 'withdrawn')),
  submitted_at   INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  rectified_at   INTEGER,
  ended_at       INTEGER,
  purged_at      INTEGER,
  updated_at     INTEGER NOT NULL
);
CREATE INDEX credentials_ticket ON credentials (ticket_id, submitted_at);
CREATE INDEX credentials_receipt ON credentials (receipt_id);
CREATE INDEX credentials_due ON credentials (status, expires_at);
