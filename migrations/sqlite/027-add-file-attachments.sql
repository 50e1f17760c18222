-- Attachments (DESIGN "Attachments", docs/decisions/026): kind `file`, the encrypted file list
-- beside each secret, the files' ciphertext, and the uploads staged before a submission claims them.
-- SQLite cannot alter a CHECK constraint, so credentials is rebuilt. credential_secrets, the only
-- table whose foreign key names credentials, is rebuilt beside it pointing at the new table; the
-- renames then carry that key over, so foreign_keys stays on and every key is checked.
CREATE TABLE credentials_new (
  id             TEXT PRIMARY KEY,
  ticket_id      TEXT NOT NULL REFERENCES tickets (id),
  receipt_id     TEXT NOT NULL REFERENCES receipts (id),
  intake_link_id TEXT REFERENCES intake_links (id),
  kind           TEXT NOT NULL CHECK (kind IN ('ftp', 'ssh', 'teamviewer', 'api', 'web-login', 'other', 'file')),
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
INSERT INTO credentials_new (rowid, id, ticket_id, receipt_id, intake_link_id, kind, label, status, ended_because,
  submitted_at, expires_at, rectified_at, ended_at, purged_at, updated_at)
SELECT rowid, id, ticket_id, receipt_id, intake_link_id, kind, label, status, ended_because,
  submitted_at, expires_at, rectified_at, ended_at, purged_at, updated_at
FROM credentials;

-- files_manifest: the names, types and sizes of the credential's files, encrypted under its data
-- key (NULL without files), read by the reveal's one query.
CREATE TABLE credential_secrets_new (
  credential_id  TEXT PRIMARY KEY REFERENCES credentials_new (id),
  kek_id         TEXT NOT NULL,
  wrapped_dek    BLOB NOT NULL,
  ciphertext     BLOB NOT NULL,
  files_manifest BLOB
);
INSERT INTO credential_secrets_new (credential_id, kek_id, wrapped_dek, ciphertext)
SELECT credential_id, kek_id, wrapped_dek, ciphertext FROM credential_secrets;

DROP TABLE credentials_label_search;
DROP TABLE credential_secrets;
DROP TABLE credentials;
ALTER TABLE credentials_new RENAME TO credentials;
ALTER TABLE credential_secrets_new RENAME TO credential_secrets;

CREATE INDEX credentials_ticket ON credentials (ticket_id, submitted_at);
CREATE INDEX credentials_receipt ON credentials (receipt_id);
CREATE INDEX credentials_due ON credentials (status, expires_at);
CREATE INDEX credentials_live_by_ticket ON credentials (ticket_id, expires_at) WHERE status IN ('active', 'restricted');
CREATE INDEX credentials_live_by_expiry ON credentials (expires_at, ticket_id) WHERE status IN ('active', 'restricted');

CREATE VIRTUAL TABLE credentials_label_search USING fts5(
  label, content = 'credentials', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER credentials_label_search_insert AFTER INSERT ON credentials
BEGIN
  INSERT INTO credentials_label_search (rowid, label) VALUES (new.rowid, new.label);
END;
CREATE TRIGGER credentials_label_search_delete AFTER DELETE ON credentials
BEGIN
  INSERT INTO credentials_label_search (credentials_label_search, rowid, label) VALUES ('delete', old.rowid, old.label);
END;
CREATE TRIGGER credentials_label_search_update AFTER UPDATE OF label ON credentials
BEGIN
  INSERT INTO credentials_label_search (credentials_label_search, rowid, label) VALUES ('delete', old.rowid, old.label);
  INSERT INTO credentials_label_search (rowid, label) VALUES (new.rowid, new.label);
END;
INSERT INTO credentials_label_search (credentials_label_search) VALUES ('rebuild');

-- A file's ciphertext, under its credential's data key, bound to the credential and file ids.
-- Destroyed (zeroed by secure_delete) with the credential's secret.
CREATE TABLE credential_files (
  id            TEXT PRIMARY KEY,
  credential_id TEXT NOT NULL REFERENCES credentials (id),
  ciphertext    BLOB NOT NULL
);
CREATE INDEX credential_files_credential ON credential_files (credential_id);

-- An upload as the browser sent it (sealed to the intake key), until a submission claims it or the
-- purge job destroys it (docs/decisions/026). owner_id: the intake link (a submission) or the
-- receipt (a rectification) it was uploaded through; only that owner can claim it.
CREATE TABLE staged_files (
  id             TEXT PRIMARY KEY,
  owner_id       TEXT NOT NULL,
  size           INTEGER NOT NULL,
  upload         BLOB NOT NULL,
  created_at     INTEGER NOT NULL
);
CREATE INDEX staged_files_owner ON staged_files (owner_id);
CREATE INDEX staged_files_created ON staged_files (created_at);
