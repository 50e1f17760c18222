-- Keys the vault holds for itself (intake X25519 pair, JWT signing key, audit MAC key),
-- each secret part wrapped by a master key (KEK) named by kek_id.
CREATE TABLE vault_keys (
  id          TEXT COLLATE "C" PRIMARY KEY,
  purpose     TEXT NOT NULL CHECK (purpose IN ('intake', 'signing', 'audit')),
  kek_id      TEXT NOT NULL,
  wrapped     BYTEA NOT NULL,
  public_key  BYTEA,
  created_at  BIGINT NOT NULL,
  retired_at  BIGINT
);
CREATE INDEX vault_keys_purpose ON vault_keys (purpose, retired_at);
