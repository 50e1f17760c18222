-- The sender asks only for rows not yet sent or given up whose time has come; delivered rows
-- wait for pruning outside this index.
CREATE INDEX notice_outbox_due ON notice_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
