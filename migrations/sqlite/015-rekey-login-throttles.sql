-- Account throttle keys are now a keyed hash of the typed e-mail (decision 009), not a plain
-- SHA-256 that a database copy could test password guesses against. The old rows are dropped
-- (zeroed by secure_delete; at worst a lockout in progress is lifted once), and the windows are
-- indexed for the prune that runs on every sign-in attempt.
DELETE FROM login_throttles;
CREATE INDEX login_throttles_window ON login_throttles (window_started_at);
