-- Outgoing webhooks (DESIGN "Outgoing webhooks", decision 029): the endpoints admins register and
-- the outbox of deliveries. An endpoint's secret is stored wrapped under the master key (kek_id,
-- secret_wrapped) and dropped when the endpoint is removed; the row stays so its deliveries keep
-- naming it. A delivery row is one event for one endpoint, written in the transaction of the
-- change it tells of; its payload never holds a secret field. `id` orders a ticket's events.
CREATE TABLE webhook_endpoints (
  id             TEXT PRIMARY KEY,
  url            TEXT NOT NULL,
  events         TEXT NOT NULL,
  kek_id         TEXT,
  secret_wrapped BLOB,
  created_by     TEXT,
  created_at     INTEGER NOT NULL,
  removed_at     INTEGER,
  CHECK (removed_at IS NOT NULL OR (kek_id IS NOT NULL AND secret_wrapped IS NOT NULL))
);

CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY,
  event_id        TEXT NOT NULL,
  endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
  ticket_id       TEXT NOT NULL,
  type            TEXT NOT NULL,
  payload         TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  last_status     INTEGER,
  last_error      TEXT,
  last_attempt_at INTEGER,
  delivered_at    INTEGER,
  UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_ticket_order ON webhook_deliveries (endpoint_id, ticket_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
