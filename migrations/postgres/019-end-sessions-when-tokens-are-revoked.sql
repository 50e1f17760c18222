-- `staff revoke-tokens` signs a member out everywhere: it ends their console sessions too, with
-- their own reason.
ALTER TABLE staff_sessions DROP CONSTRAINT staff_sessions_ended_because;
ALTER TABLE staff_sessions ADD CONSTRAINT staff_sessions_ended_because
  CHECK (ended_because IN ('logout', 'replaced', 'staff_disabled', 'password_changed', 'tokens_revoked'));
