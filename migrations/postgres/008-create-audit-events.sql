-- Append-only, hash-chained audit log. The triggers stop honest mistakes; the keyed
-- BLAKE2b chain (verified by `ticketvault audit verify`) is the proof.
CREATE TABLE audit_events (
  seq           BIGINT PRIMARY KEY,
  at            BIGINT NOT NULL,
  action        TEXT NOT NULL,
  actor_type    TEXT NOT NULL CHECK (actor_type IN ('staff', 'customer', 'system', 'helpdesk')),
  actor_id      TEXT COLLATE "C",
  actor_name    TEXT,
  ticket_id     TEXT COLLATE "C",
  credential_id TEXT COLLATE "C",
  reason        TEXT,
  detail        TEXT,
  ip            TEXT,
  user_agent    TEXT,
  prev_hash     BYTEA NOT NULL,
  hash          BYTEA NOT NULL
);
CREATE INDEX audit_events_credential ON audit_events (credential_id, seq) WHERE credential_id IS NOT NULL;
CREATE INDEX audit_events_ticket ON audit_events (ticket_id, seq) WHERE ticket_id IS NOT NULL;
CREATE INDEX audit_events_action ON audit_events (action, seq);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
