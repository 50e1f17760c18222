-- A receipt covers the credential(s) of one submission. The token is stored hashed for
-- lookup, and wrapped by the KEK (never in clear) so that notices can carry the link.
CREATE TABLE receipts (
  id               TEXT PRIMARY KEY,
  ticket_id        TEXT NOT NULL REFERENCES tickets (id),
  intake_link_id   TEXT REFERENCES intake_links (id),
  token_hash       BLOB NOT NULL UNIQUE,
  token_kek_id     TEXT NOT NULL,
  token_wrapped    BLOB NOT NULL,
  notify_on_reveal INTEGER NOT NULL DEFAULT 1,
  created_at       INTEGER NOT NULL
);
CREATE INDEX receipts_ticket ON receipts (ticket_id);
