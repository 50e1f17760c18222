-- The customer portal (DESIGN "Customer portal", docs/decisions/027). Tokens of sign-in links,
-- sessions and approval links are stored as SHA-256 only; a mail that must carry a link holds it
-- wrapped by the KEK until it is sent. E-mails are kept lower-cased: the portal matches them so.
ALTER TABLE receipts ADD COLUMN ask_first INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_customer_email ON tickets (lower(customer_email));

-- Preferences set in the portal for every receipt of an e-mail; new receipts start from them.
CREATE TABLE portal_preferences (
  email            TEXT PRIMARY KEY,
  notify_on_reveal INTEGER NOT NULL,
  ask_first        INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);

CREATE TABLE portal_sign_in_links (
  token_hash BLOB PRIMARY KEY,
  email      TEXT NOT NULL,
  language   TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);
CREATE INDEX portal_sign_in_links_email ON portal_sign_in_links (email, created_at);

CREATE TABLE portal_sessions (
  token_hash BLOB PRIMARY KEY,
  email      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at   INTEGER
);

-- "Ask me first": one row per request of one engineer for one credential, and its decision.
CREATE TABLE reveal_approvals (
  id              TEXT PRIMARY KEY,
  credential_id   TEXT NOT NULL REFERENCES credentials (id),
  staff_id        TEXT NOT NULL,
  staff_name      TEXT NOT NULL,
  reason          TEXT NOT NULL,
  token_hash      BLOB NOT NULL UNIQUE,
  requested_at    INTEGER NOT NULL,
  link_expires_at INTEGER NOT NULL,
  decision        TEXT CHECK (decision IN ('approved', 'refused')),
  decided_at      INTEGER,
  approved_until  INTEGER,
  refusal_told_at INTEGER
);
CREATE INDEX reveal_approvals_credential_staff ON reveal_approvals (credential_id, staff_id, requested_at);

-- The portal's e-mails (sign-in links, approval requests, decisions), sent by the notice timer.
CREATE TABLE portal_mails (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL CHECK (kind IN ('sign_in', 'approval_request', 'approval_decided')),
  to_address      TEXT NOT NULL,
  to_name         TEXT,
  language        TEXT,
  facts           TEXT NOT NULL,
  link_kek_id     TEXT,
  link_wrapped    BLOB,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  sent_at         INTEGER,
  failed_at       INTEGER
);
CREATE INDEX portal_mails_due ON portal_mails (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
