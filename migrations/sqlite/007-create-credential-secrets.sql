-- The ciphertext and its wrapped data key live apart from the metadata, so a purge is a
-- DELETE of one row (zeroed on disk by secure_delete) and the metadata stays for the audit.
CREATE TABLE credential_secrets (
  credential_id TEXT PRIMARY KEY REFERENCES credentials (id),
  kek_id        TEXT NOT NULL,
  wrapped_dek   BLOB NOT NULL,
  ciphertext    BLOB NOT NULL
);
