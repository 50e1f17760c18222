-- Ticket search (`GET /tickets?q=`) without reading every ticket: trigram GIN indexes over the
-- four searched columns serve the query's LIKE tests, so the index narrows the candidates and the
-- answer is exactly a full scan's. Case-insensitive as SQLite's LIKE is: ASCII letters only
-- (ILIKE would also fold 'Ü' to 'ü', and the two backends would answer differently).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE FUNCTION ascii_lower(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN translate(value, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
CREATE INDEX tickets_search_external_ref ON tickets USING gin (ascii_lower(external_ref) gin_trgm_ops);
CREATE INDEX tickets_search_subject ON tickets USING gin (ascii_lower(subject) gin_trgm_ops);
CREATE INDEX tickets_search_customer_email ON tickets USING gin (ascii_lower(customer_email) gin_trgm_ops);
CREATE INDEX tickets_search_customer_name ON tickets USING gin (ascii_lower(customer_name) gin_trgm_ops);
