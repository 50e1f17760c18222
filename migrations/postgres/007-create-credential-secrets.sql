-- The ciphertext and its wrapped data key live apart from the metadata, so a purge is a DELETE of
-- one row in the statement that ends the credential. PostgreSQL keeps the dead tuple until VACUUM
-- (run after each purge pass) and old bytes in WAL and backups until recycled (README).
CREATE TABLE credential_secrets (
  credential_id TEXT COLLATE "C" PRIMARY KEY REFERENCES credentials (id),
  kek_id        TEXT NOT NULL,
  wrapped_dek   BYTEA NOT NULL,
  ciphertext    BYTEA NOT NULL
);
