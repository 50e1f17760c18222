-- E-mail notices waiting to be sent. A row is written in the same transaction as the event it
-- tells of (reveal, submission, destruction), so a crash loses none. It holds references only:
-- the sender reads kind, label, names and times from the rows they point to, never a secret.
CREATE TABLE notice_outbox (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL CHECK (kind IN ('reveal', 'submission', 'destruction')),
  ticket_id       TEXT NOT NULL,
  credential_id   TEXT NOT NULL,
  receipt_id      TEXT NOT NULL,
  audit_seq       INTEGER,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  sent_at         INTEGER,
  failed_at       INTEGER
);
