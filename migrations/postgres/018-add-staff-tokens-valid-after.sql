-- Bearer tokens issued at or before this instant (ms since the epoch) are refused: setting a
-- password, disabling, enabling and `staff revoke-tokens` move it to now (decision 013).
ALTER TABLE staff ADD COLUMN tokens_valid_after BIGINT NOT NULL DEFAULT 0;
