-- Ids compare as bytes (COLLATE "C") everywhere, as in SQLite: keyset pages and id order must not
-- depend on the server's locale. E-mail is unique whatever its case (SQLite: COLLATE NOCASE).
CREATE TABLE staff (
  id            TEXT COLLATE "C" PRIMARY KEY,
  email         TEXT NOT NULL,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('engineer', 'admin', 'auditor')),
  password_hash TEXT,
  disabled_at   BIGINT,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX staff_email ON staff (lower(email));
