-- Staff second factors (DESIGN "Staff MFA", decision 022): authenticator apps (TOTP) and passkeys,
-- any number of each per member, plus that member's single-use recovery codes, and the vault-wide
-- settings an admin changes from the console (the MFA switch), shared by every instance.
-- A TOTP secret is stored wrapped under the master key (kek_id, secret_wrapped) and last_step is
-- the last time step whose code was accepted: a code is usable once. A TOTP factor is unconfirmed
-- (confirmed_at NULL) until the first code from the app is typed; it counts for nothing until then.
CREATE TABLE staff_second_factors (
  id             TEXT COLLATE "C" PRIMARY KEY,
  staff_id       TEXT COLLATE "C" NOT NULL REFERENCES staff (id),
  kind           TEXT NOT NULL CHECK (kind IN ('totp', 'passkey')),
  name           TEXT NOT NULL,
  kek_id         TEXT,
  secret_wrapped BYTEA,
  last_step      BIGINT,
  credential_id  BYTEA UNIQUE,
  public_key     BYTEA,
  sign_count     BIGINT,
  transports     TEXT,
  confirmed_at   BIGINT,
  created_at     BIGINT NOT NULL,
  last_used_at   BIGINT,
  CHECK (kind <> 'totp' OR (kek_id IS NOT NULL AND secret_wrapped IS NOT NULL)),
  CHECK (kind <> 'passkey' OR (credential_id IS NOT NULL AND public_key IS NOT NULL))
);
CREATE INDEX staff_second_factors_staff ON staff_second_factors (staff_id);

-- Only SHA-256 of each code is kept: a code carries 80 random bits, so no salt or slow hash is
-- needed (the same reasoning as link tokens, decision 002). used_at set = spent.
CREATE TABLE staff_recovery_codes (
  staff_id   TEXT COLLATE "C" NOT NULL REFERENCES staff (id),
  code_hash  BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  used_at    BIGINT,
  PRIMARY KEY (staff_id, code_hash)
);

CREATE TABLE vault_settings (
  name       TEXT COLLATE "C" PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
