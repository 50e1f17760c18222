CREATE TABLE tickets (
  id             TEXT COLLATE "C" PRIMARY KEY,
  external_ref   TEXT COLLATE "C" NOT NULL UNIQUE,
  subject        TEXT NOT NULL,
  customer_email TEXT NOT NULL,
  customer_name  TEXT,
  support_until  BIGINT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  created_by     TEXT COLLATE "C",
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  closed_at      BIGINT
);
CREATE INDEX tickets_created ON tickets (created_at DESC, id DESC);
CREATE INDEX tickets_status_created ON tickets (status, created_at DESC, id DESC);
