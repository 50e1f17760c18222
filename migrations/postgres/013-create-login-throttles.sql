-- Sign-in attempts per account (keyed by a hash of the e-mail, never the typed text) and per
-- client IP, in fixed windows; kept in the database so a restart does not reset a lockout and
-- every instance counts against the same window.
CREATE TABLE login_throttles (
  key               TEXT PRIMARY KEY,
  attempts          INTEGER NOT NULL,
  window_started_at BIGINT NOT NULL
);
