-- Ticket search (`GET /tickets?q=`) without reading every ticket: a trigram index over the four
-- searched columns. It only narrows the candidates; the query still applies the same LIKE test,
-- so results are exactly those of a full scan. External content: the text stays in `tickets`,
-- kept in step by the triggers below (rowids of `tickets` are stable: the vault never VACUUMs).
CREATE VIRTUAL TABLE tickets_search USING fts5(
  external_ref, subject, customer_email, customer_name,
  content = 'tickets', content_rowid = 'rowid', tokenize = 'trigram'
);

CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets
BEGIN
  INSERT INTO tickets_search (rowid, external_ref, subject, customer_email, customer_name)
  VALUES (new.rowid, new.external_ref, new.subject, new.customer_email, new.customer_name);
END;

CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets
BEGIN
  INSERT INTO tickets_search (tickets_search, rowid, external_ref, subject, customer_email, customer_name)
  VALUES ('delete', old.rowid, old.external_ref, old.subject, old.customer_email, old.customer_name);
END;

CREATE TRIGGER tickets_search_update AFTER UPDATE OF external_ref, subject, customer_email, customer_name ON tickets
BEGIN
  INSERT INTO tickets_search (tickets_search, rowid, external_ref, subject, customer_email, customer_name)
  VALUES ('delete', old.rowid, old.external_ref, old.subject, old.customer_email, old.customer_name);
  INSERT INTO tickets_search (rowid, external_ref, subject, customer_email, customer_name)
  VALUES (new.rowid, new.external_ref, new.subject, new.customer_email, new.customer_name);
END;

INSERT INTO tickets_search (tickets_search) VALUES ('rebuild');
