-- A receipt covers the credential(s) of one submission. The token is stored hashed for
-- lookup, and wrapped by the KEK (never in clear) so that notices can carry the link.
CREATE TABLE receipts (
  id               TEXT COLLATE "C" PRIMARY KEY,
  ticket_id        TEXT COLLATE "C" NOT NULL REFERENCES tickets (id),
  intake_link_id   TEXT COLLATE "C" REFERENCES intake_links (id),
  token_hash       BYTEA NOT NULL UNIQUE,
  token_kek_id     TEXT NOT NULL,
  token_wrapped    BYTEA NOT NULL,
  notify_on_reveal BOOLEAN NOT NULL DEFAULT TRUE,
  created_at       BIGINT NOT NULL
);
CREATE INDEX receipts_ticket ON receipts (ticket_id);
