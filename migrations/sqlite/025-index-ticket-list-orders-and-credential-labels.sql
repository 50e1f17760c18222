-- The ticket list's orders and credential-label search (docs/decisions/024). Each order reads an
-- index in its own order, so keyset pages seek to their cursor: updated (newest first), reference
-- (the UNIQUE index serves it without a status filter), soonest live-credential expiry.
CREATE INDEX tickets_updated ON tickets (updated_at DESC, id DESC);
CREATE INDEX tickets_status_updated ON tickets (status, updated_at DESC, id DESC);
CREATE INDEX tickets_status_ref ON tickets (status, external_ref);

-- Live credentials by ticket now carry their expiry: a list item's count and soonest expiry are
-- both read from the index alone (the count was 021's reason for it).
DROP INDEX credentials_live_by_ticket;
CREATE INDEX credentials_live_by_ticket ON credentials (ticket_id, expires_at) WHERE status IN ('active', 'restricted');

-- Live credentials in expiry order: the "soonest expiry" order walks it and keeps each ticket's first.
CREATE INDEX credentials_live_by_expiry ON credentials (expires_at, ticket_id) WHERE status IN ('active', 'restricted');

-- `q` also finds a ticket by the labels of its credentials: a trigram index over them, as 016's
-- over the tickets. It only narrows the candidates; the query's LIKE decides. Labels never change
-- after a submission, but the triggers keep the index right whatever writes them.
CREATE VIRTUAL TABLE credentials_label_search USING fts5(
  label, content = 'credentials', content_rowid = 'rowid', tokenize = 'trigram'
);

CREATE TRIGGER credentials_label_search_insert AFTER INSERT ON credentials
BEGIN
  INSERT INTO credentials_label_search (rowid, label) VALUES (new.rowid, new.label);
END;

CREATE TRIGGER credentials_label_search_delete AFTER DELETE ON credentials
BEGIN
  INSERT INTO credentials_label_search (credentials_label_search, rowid, label) VALUES ('delete', old.rowid, old.label);
END;

CREATE TRIGGER credentials_label_search_update AFTER UPDATE OF label ON credentials
BEGIN
  INSERT INTO credentials_label_search (credentials_label_search, rowid, label) VALUES ('delete', old.rowid, old.label);
  INSERT INTO credentials_label_search (rowid, label) VALUES (new.rowid, new.label);
END;

INSERT INTO credentials_label_search (credentials_label_search) VALUES ('rebuild');
