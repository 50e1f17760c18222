-- The ticket list counts each ticket's live credentials. Through credentials_ticket that read
-- every credential row of the ticket to test its status; this index holds live credentials only,
-- so the count reads index entries and nothing else. Ending or destroying a credential deletes
-- its entry (the purge pays one index delete per credential: docs/decisions/011).
CREATE INDEX credentials_live_by_ticket ON credentials (ticket_id) WHERE status IN ('active', 'restricted');
