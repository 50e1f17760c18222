-- Before 9be10ba a submission racing a shortened support period could store an expiresAt past
-- its ticket's supportUntil. Reads already treat such a credential as expired at supportUntil;
-- this brings the stored expiry in line, so the purge job (which reads expires_at) destroys it
-- as soon as the period ends instead of at the later date.
UPDATE credentials
SET expires_at = (SELECT t.support_until FROM tickets t WHERE t.id = credentials.ticket_id)
WHERE status IN ('active', 'restricted')
  AND expires_at > (SELECT t.support_until FROM tickets t WHERE t.id = credentials.ticket_id);
