-- Numbered alike the SQLite migration: a live credential never outlives its ticket's support
-- period in storage, so the purge job (which reads expires_at) destroys it when the period ends.
UPDATE credentials c
SET expires_at = t.support_until
FROM tickets t
WHERE t.id = c.ticket_id
  AND c.status IN ('active', 'restricted')
  AND c.expires_at > t.support_until;
