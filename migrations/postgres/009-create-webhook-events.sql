-- Helpdesk webhook events already applied, keyed by where they came from and the event's id,
-- so a retried or replayed delivery has its effect once, whichever instance receives it.
-- Holds no secret and no link token.
CREATE TABLE webhook_events (
  source       TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  event        TEXT NOT NULL,
  external_ref TEXT NOT NULL,
  result       TEXT NOT NULL CHECK (result IN ('applied', 'ignored')),
  received_at  BIGINT NOT NULL,
  PRIMARY KEY (source, event_id)
);
