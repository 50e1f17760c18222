-- Metadata only: kind, label and timestamps are the only clear-text facts about a credential.
CREATE TABLE credentials (
  id             TEXT COLLATE "C" PRIMARY KEY,
  ticket_id      TEXT COLLATE "C" NOT NULL REFERENCES tickets (id),
  receipt_id     TEXT COLLATE "C" NOT NULL REFERENCES receipts (id),
  intake_link_id TEXT COLLATE "C" REFERENCES intake_links (id),
  kind           TEXT NOT NULL CHECK (kind IN ('ftp', 'ssh', 'teamviewer', 'api', 'web-login', 'other')),
  label          TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('active', 'restricted', 'expired', 'revoked', 'withdrawn', 'purged')),
  ended_because  TEXT CHECK (ended_because IN ('ticket_closed', 'expired', 'revoked', 'withdrawn')),
  submitted_at   BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  rectified_at   BIGINT,
  ended_at       BIGINT,
  purged_at      BIGINT,
  updated_at     BIGINT NOT NULL
);
CREATE INDEX credentials_ticket ON credentials (ticket_id, submitted_at);
CREATE INDEX credentials_receipt ON credentials (receipt_id);
CREATE INDEX credentials_due ON credentials (status, expires_at);
