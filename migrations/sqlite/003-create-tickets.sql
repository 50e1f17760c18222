CREATE TABLE tickets (
  id             TEXT PRIMARY KEY,
  external_ref   TEXT NOT NULL UNIQUE,
  subject        TEXT NOT NULL,
  customer_email TEXT NOT NULL,
  customer_name  TEXT,
  support_until  INTEGER NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  created_by     TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  closed_at      INTEGER
);
CREATE INDEX tickets_created ON tickets (created_at DESC, id DESC);
CREATE INDEX tickets_status_created ON tickets (status, created_at DESC, id DESC);
