import type { IntakeLinkStore } from '../../intake-links/intake-links-store.js';
import { intakeLinkOf, type IntakeLinkRow } from '../rows.js';
import { allRows, bytes, changedRows, oneRow, type PgClient } from './client.js';

export function createPgIntakeLinkStore(client: PgClient): IntakeLinkStore {
  return {
    insert: async (l) => {
      await client.query(
        `INSERT INTO intake_links (id, ticket_id, token_hash, created_by, created_at, expires_at, max_uses, uses, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [l.id, l.ticketId, bytes(l.tokenHash), l.createdBy, l.createdAt, l.expiresAt, l.maxUses, l.uses, l.revokedAt],
      );
    },
    get: async (id) => {
      const r = await oneRow<IntakeLinkRow>(client, 'SELECT * FROM intake_links WHERE id = $1', [id]);
      return r && intakeLinkOf(r);
    },
    getByTokenHash: async (hash) => {
      const r = await oneRow<IntakeLinkRow>(client, 'SELECT * FROM intake_links WHERE token_hash = $1', [bytes(hash)]);
      return r && intakeLinkOf(r);
    },
    listByTicket: async (ticketId) =>
      (await allRows<IntakeLinkRow>(client, 'SELECT * FROM intake_links WHERE ticket_id = $1 ORDER BY created_at, id', [ticketId])).map(intakeLinkOf),
    revoke: async (id, at) => (await changedRows(client, 'UPDATE intake_links SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at])) === 1,
    // One statement: the row lock makes racing uses on several instances queue, and each re-checks
    // `uses < max_uses` on the row as the one before it left it, so maxUses is never exceeded.
    useIfUsable: async (id, now) => {
      const r = await oneRow<{ support_until: number }>(
        client,
        `UPDATE intake_links l SET uses = l.uses + 1
         FROM tickets t
         WHERE l.id = $1 AND t.id = l.ticket_id AND l.revoked_at IS NULL AND l.expires_at > $2
           AND (l.max_uses IS NULL OR l.uses < l.max_uses) AND t.status = 'open' AND t.support_until > $2
         RETURNING t.support_until`,
        [id, now],
      );
      return r?.support_until ?? null;
    },
  };
}
