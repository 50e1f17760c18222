-- The ticket list counts each ticket's live credentials. Through credentials_ticket that read
-- every credential row of the ticket to test its status; this index holds live credentials only,
-- so the count is an index-only scan. Ending or destroying a credential leaves its entry to
-- VACUUM (docs/decisions/011).
CREATE INDEX credentials_live_by_ticket ON credentials (ticket_id) WHERE status IN ('active', 'restricted');
