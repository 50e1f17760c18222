-- Ticket search (`GET /tickets?q=`) without reading every ticket: trigram GIN indexes over the
-- four searched columns serve the query's ILIKE tests directly (case-insensitive, as SQLite's
-- LIKE), so the index narrows the candidates and the answer is exactly a full scan's.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tickets_search_external_ref ON tickets USING gin (external_ref gin_trgm_ops);
CREATE INDEX tickets_search_subject ON tickets USING gin (subject gin_trgm_ops);
CREATE INDEX tickets_search_customer_email ON tickets USING gin (customer_email gin_trgm_ops);
CREATE INDEX tickets_search_customer_name ON tickets USING gin (customer_name gin_trgm_ops);
