-- The ticket list's orders and credential-label search (docs/decisions/024). Each order reads an
-- index in its own order, so keyset pages seek to their cursor: updated (newest first), reference
-- (the UNIQUE index serves it without a status filter), soonest live-credential expiry.
CREATE INDEX tickets_updated ON tickets (updated_at DESC, id DESC);
CREATE INDEX tickets_status_updated ON tickets (status, updated_at DESC, id DESC);
CREATE INDEX tickets_status_ref ON tickets (status, external_ref);

-- Live credentials by ticket now carry their expiry (and id, the tie-break of the expiry order):
-- a list item's count and soonest expiry are index-only scans (the count was 021's reason for it).
DROP INDEX credentials_live_by_ticket;
CREATE INDEX credentials_live_by_ticket ON credentials (ticket_id, expires_at, id) WHERE status IN ('active', 'restricted');

-- Live credentials in expiry order: the "soonest expiry" order walks it and keeps each ticket's first.
CREATE INDEX credentials_live_by_expiry ON credentials (expires_at, ticket_id) WHERE status IN ('active', 'restricted');

-- `q` also finds a ticket by the labels of its credentials, case-insensitive as 016's indexes.
CREATE INDEX credentials_label_search ON credentials USING gin (ascii_lower(label) gin_trgm_ops);
