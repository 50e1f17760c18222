-- Keys the vault holds for itself (intake X25519 pair, JWT signing key, audit MAC key),
-- each secret part wrapped by a master key (KEK) named by kek_id.
CREATE TABLE vault_keys (
  id          TEXT PRIMARY KEY,
  purpose     TEXT NOT NULL CHECK (purpose IN ('intake', 'signing', 'audit')),
  kek_id      TEXT NOT NULL,
  wrapped     BLOB NOT NULL,
  public_key  BLOB,
  created_at  INTEGER NOT NULL,
  retired_at  INTEGER
);
CREATE INDEX vault_keys_purpose ON vault_keys (purpose, retired_at);
