-- A console session says how its member proved who they are, second factor included
-- ('password+totp', 'password+recovery', 'passkey'), and whether they must enrol a second factor
-- before anything else (MFA_REQUIRED or the admin's switch, decision 022).
ALTER TABLE staff_sessions DROP CONSTRAINT staff_sessions_method_check;
ALTER TABLE staff_sessions ADD CONSTRAINT staff_sessions_method_check
  CHECK (method IN ('password', 'oidc', 'password+totp', 'password+recovery', 'passkey'));
ALTER TABLE staff_sessions ADD COLUMN enrolment_due SMALLINT NOT NULL DEFAULT 0 CHECK (enrolment_due IN (0, 1));
