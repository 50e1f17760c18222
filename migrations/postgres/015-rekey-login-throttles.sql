-- Account throttle keys are a keyed hash of the typed e-mail (decision 009); numbered alike the
-- SQLite migration, which dropped the old plain-hash rows. Indexes the windows for the prune
-- that runs on every sign-in attempt.
DELETE FROM login_throttles;
CREATE INDEX login_throttles_window ON login_throttles (window_started_at);
