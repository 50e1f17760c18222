import type { TicketListRow, TicketStore } from '../../tickets/tickets-store.js';
import { ticketOf, type TicketRow } from '../rows.js';
import { allRows, oneRow, type PgClient } from './client.js';

const COLUMNS = {
  subject: 'subject',
  customerEmail: 'customer_email',
  customerName: 'customer_name',
  supportUntil: 'support_until',
  supportUntilDate: 'support_until_date',
} as const;

/** A list row in one object (no spread of the record into a second one). */
function listRowOf(r: TicketRow): TicketListRow {
  const row = ticketOf(r) as TicketListRow;
  row.liveCredentials = r.live_credentials ?? 0;
  return row;
}

export function createPgTicketStore(client: PgClient): TicketStore {
  return {
    insert: async (t) => {
      await client.query(
        `INSERT INTO tickets (id, external_ref, subject, customer_email, customer_name, support_until, support_until_date, status,
           created_by, created_at, updated_at, closed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [t.id, t.externalRef, t.subject, t.customerEmail, t.customerName, t.supportUntil, t.supportUntilDate, t.status, t.createdBy, t.createdAt, t.updatedAt, t.closedAt],
      );
    },
    get: async (id) => {
      const r = await oneRow<TicketRow>(client, 'SELECT * FROM tickets WHERE id = $1', [id]);
      return r && ticketOf(r);
    },
    getByExternalRef: async (ref) => {
      const r = await oneRow<TicketRow>(client, 'SELECT * FROM tickets WHERE external_ref = $1', [ref]);
      return r && ticketOf(r);
    },
    list: async (q) => {
      const where: string[] = [];
      const args: unknown[] = [];
      const arg = (value: unknown) => `$${args.push(value)}`;
      if (q.status) where.push(`t.status = ${arg(q.status)}`);
      if (q.q) {
        // ASCII-case-insensitive as SQLite's LIKE; the trigram indexes (migration 016) serve it.
        const p = `ascii_lower(${arg(`%${q.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`)})`;
        where.push(
          `(ascii_lower(t.external_ref) LIKE ${p} OR ascii_lower(t.subject) LIKE ${p} OR ascii_lower(t.customer_email) LIKE ${p} OR ascii_lower(t.customer_name) LIKE ${p})`,
        );
      }
      // A row comparison, so the index scan starts at the cursor (the list's order, ties by id).
      if (q.after) where.push(`(t.created_at, t.id) < (${arg(q.after.createdAt)}, ${arg(q.after.id)})`);
      // The count is an index-only scan of credentials_live_by_ticket (migration 021).
      const rows = await allRows<TicketRow>(
        client,
        `SELECT t.*, (SELECT COUNT(*) FROM credentials c WHERE c.ticket_id = t.id AND c.status IN ('active', 'restricted')) AS live_credentials
         FROM tickets t ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
         ORDER BY t.created_at DESC, t.id DESC LIMIT ${arg(q.limit)}`,
        args,
      );
      return rows.map(listRowOf);
    },
    setStatus: async (id, status, at) => {
      await client.query(
        status === 'closed'
          ? `UPDATE tickets SET status = 'closed', closed_at = $2, updated_at = $2 WHERE id = $1`
          : `UPDATE tickets SET status = 'open', closed_at = NULL, updated_at = $2 WHERE id = $1`,
        [id, at],
      );
    },
    update: async (id, changes, at) => {
      const args: unknown[] = [id, at];
      const sets = ['updated_at = $2'];
      for (const [key, value] of Object.entries(changes)) {
        if (!(key in COLUMNS)) continue;
        sets.push(`${COLUMNS[key as keyof typeof COLUMNS]} = $${args.push(value)}`);
      }
      await client.query(`UPDATE tickets SET ${sets.join(', ')} WHERE id = $1`, args);
    },
  };
}
