import type { Database } from './database.js';
import type { IntakeLinkRecord, IntakeLinkStore } from '../../intake-links/intake-links-store.js';
import type { Sync } from '../storage.js';
import { intakeLinkOf as fromRaw, type IntakeLinkRow as Raw } from '../rows.js';

export function createIntakeLinkStore(db: Database): Sync<IntakeLinkStore> {
  const insert = db.prepare(
    `INSERT INTO intake_links (id, ticket_id, token_hash, created_by, created_at, expires_at, max_uses, uses, revoked_at)
     VALUES (@id, @ticketId, @tokenHash, @createdBy, @createdAt, @expiresAt, @maxUses, @uses, @revokedAt)`,
  );
  const get = db.prepare<[string], Raw>('SELECT * FROM intake_links WHERE id = ?');
  const byHash = db.prepare<[Buffer], Raw>('SELECT * FROM intake_links WHERE token_hash = ?');
  const byTicket = db.prepare<[string], Raw>('SELECT * FROM intake_links WHERE ticket_id = ? ORDER BY created_at, id');
  const revoke = db.prepare('UPDATE intake_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const useIfUsable = db
    .prepare<{ id: string; now: number }, number>(
      `UPDATE intake_links SET uses = uses + 1
       WHERE id = @id AND revoked_at IS NULL AND expires_at > @now AND (max_uses IS NULL OR uses < max_uses)
         AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = intake_links.ticket_id AND t.status = 'open' AND t.support_until > @now)
       RETURNING (SELECT support_until FROM tickets t WHERE t.id = intake_links.ticket_id)`,
    )
    .pluck();
  return {
    insert: (l) => {
      insert.run(l);
    },
    get: (id) => {
      const r = get.get(id);
      return r && fromRaw(r);
    },
    getByTokenHash: (hash) => {
      const r = byHash.get(hash);
      return r && fromRaw(r);
    },
    listByTicket: (ticketId) => byTicket.all(ticketId).map(fromRaw),
    revoke: (id, at) => revoke.run(at, id).changes === 1,
    useIfUsable: (id, now) => useIfUsable.get({ id, now }) ?? null,
  };
}
