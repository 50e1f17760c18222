-- Append-only, hash-chained audit log. The triggers stop honest mistakes; the keyed
-- BLAKE2b chain (verified by `ticketvault audit verify`) is the proof.
CREATE TABLE audit_events (
  seq           INTEGER PRIMARY KEY,
  at            INTEGER NOT NULL,
  action        TEXT NOT NULL,
  actor_type    TEXT NOT NULL CHECK (actor_type IN ('staff', 'customer', 'system', 'helpdesk')),
  actor_id      TEXT,
  actor_name    TEXT,
  ticket_id     TEXT,
  credential_id TEXT,
  reason        TEXT,
  detail        TEXT,
  ip            TEXT,
  user_agent    TEXT,
  prev_hash     BLOB NOT NULL,
  hash          BLOB NOT NULL
);
CREATE INDEX audit_events_credential ON audit_events (credential_id, seq) WHERE credential_id IS NOT NULL;
CREATE INDEX audit_events_ticket ON audit_events (ticket_id, seq) WHERE ticket_id IS NOT NULL;
CREATE INDEX audit_events_action ON audit_events (action, seq);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;
