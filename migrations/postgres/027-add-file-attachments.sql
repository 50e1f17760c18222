-- Attachments (DESIGN "Attachments", docs/decisions/026): kind `file`, the encrypted file list
-- beside each secret, the files' ciphertext, and the uploads staged before a submission claims them.
ALTER TABLE credentials DROP CONSTRAINT credentials_kind_check;
ALTER TABLE credentials ADD CONSTRAINT credentials_kind_check
  CHECK (kind IN ('ftp', 'ssh', 'teamviewer', 'api', 'web-login', 'other', 'file'));

-- The names, types and sizes of the credential's files, encrypted under its data key (NULL without
-- files), read by the reveal's one query.
ALTER TABLE credential_secrets ADD COLUMN files_manifest BYTEA;

-- A file's ciphertext, under its credential's data key, bound to the credential and file ids;
-- deleted in the transaction that destroys the credential's secret, then VACUUMed like it.
CREATE TABLE credential_files (
  id            TEXT COLLATE "C" PRIMARY KEY,
  credential_id TEXT COLLATE "C" NOT NULL REFERENCES credentials (id),
  ciphertext    BYTEA NOT NULL
);
CREATE INDEX credential_files_credential ON credential_files (credential_id);

-- An upload as the browser sent it (sealed to the intake key), until a submission claims it or the
-- purge job destroys it. owner_id: the intake link or the receipt it was uploaded through.
CREATE TABLE staged_files (
  id             TEXT COLLATE "C" PRIMARY KEY,
  owner_id       TEXT COLLATE "C" NOT NULL,
  size           BIGINT NOT NULL,
  upload         BYTEA NOT NULL,
  created_at     BIGINT NOT NULL
);
CREATE INDEX staged_files_owner ON staged_files (owner_id);
CREATE INDEX staged_files_created ON staged_files (created_at);
