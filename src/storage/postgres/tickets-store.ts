import type { TicketFilter, TicketListRow, TicketStore } from '../../tickets/tickets-store.js';
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
  row.soonestExpiry = r.soonest_expiry ?? null;
  return row;
}

const LIVE = `status IN ('active', 'restricted')`;
/** A ticket's live credentials, counted and their soonest expiry read by index-only scans of credentials_live_by_ticket (migration 025). */
const LIVE_COUNT = `(SELECT COUNT(*) FROM credentials c WHERE c.ticket_id = t.id AND c.${LIVE})`;
const SOONEST = `(SELECT MIN(c.expires_at) FROM credentials c WHERE c.ticket_id = t.id AND c.${LIVE})`;

type Arg = (value: unknown) => string;

/** The orders that read tickets in an index's order (expiry walks the credentials instead). */
const TICKET_ORDERS = {
  created: { by: 't.created_at DESC, t.id DESC', after: (a: Arg, key: unknown, id: string) => `(t.created_at, t.id) < (${a(key)}, ${a(id)})` },
  updated: { by: 't.updated_at DESC, t.id DESC', after: (a: Arg, key: unknown, id: string) => `(t.updated_at, t.id) < (${a(key)}, ${a(id)})` },
  // external_ref is UNIQUE: it is the whole key.
  ref: { by: 't.external_ref', after: (a: Arg, key: unknown) => `t.external_ref > ${a(key)}` },
} as const;

/** The filter's terms on `tickets t`, its values added to `args`. */
function filterOf(filter: TicketFilter, args: unknown[]): string[] {
  const arg = (value: unknown) => `$${args.push(value)}`;
  const where: string[] = [];
  if (filter.status) where.push(`t.status = ${arg(filter.status)}`);
  if (filter.live) where.push(`EXISTS (SELECT 1 FROM credentials c WHERE c.ticket_id = t.id AND c.${LIVE})`);
  if (filter.q) {
    // ASCII-case-insensitive as SQLite's LIKE; the trigram indexes (migrations 016 and 025) serve it.
    const p = `ascii_lower(${arg(`%${filter.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`)})`;
    where.push(
      `(ascii_lower(t.external_ref) LIKE ${p} OR ascii_lower(t.subject) LIKE ${p} OR ascii_lower(t.customer_email) LIKE ${p} OR ascii_lower(t.customer_name) LIKE ${p}
        OR t.id IN (SELECT c.ticket_id FROM credentials c WHERE ascii_lower(c.label) LIKE ${p}))`,
    );
  }
  return where;
}

const whereOf = (terms: string[]) => (terms.length ? 'WHERE ' + terms.join(' AND ') : '');

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
      const args: unknown[] = [];
      const arg = (value: unknown) => `$${args.push(value)}`;
      const where = filterOf(q, args);
      if (q.sort === 'expiry') {
        // Live credentials in expiry order (credentials_live_by_expiry), each kept when it is its
        // ticket's first (one seek in credentials_live_by_ticket): each ticket once, at its soonest.
        if (q.after) where.push(`(c.expires_at, c.ticket_id) > (${arg(q.after.key)}, ${arg(q.after.id)})`);
        const rows = await allRows<TicketRow>(
          client,
          `SELECT t.*, ${LIVE_COUNT} AS live_credentials, c.expires_at AS soonest_expiry
           FROM credentials c JOIN tickets t ON t.id = c.ticket_id
           WHERE c.${LIVE}
             AND c.id = (SELECT c2.id FROM credentials c2 WHERE c2.ticket_id = c.ticket_id AND c2.${LIVE} ORDER BY c2.expires_at, c2.id LIMIT 1)
             ${where.map((w) => `AND ${w}`).join(' ')}
           ORDER BY c.expires_at, c.ticket_id LIMIT ${arg(q.limit)}`,
          args,
        );
        return rows.map(listRowOf);
      }
      const order = TICKET_ORDERS[q.sort];
      // A row comparison, so the index scan starts at the cursor (the list's order, ties by id).
      if (q.after) where.push(order.after(arg, q.after.key, q.after.id));
      const rows = await allRows<TicketRow>(
        client,
        `SELECT t.*, ${LIVE_COUNT} AS live_credentials, ${SOONEST} AS soonest_expiry
         FROM tickets t ${whereOf(where)}
         ORDER BY ${order.by} LIMIT ${arg(q.limit)}`,
        args,
      );
      return rows.map(listRowOf);
    },
    count: async (filter, cap) => {
      const args: unknown[] = [];
      const where = filterOf(filter, args);
      const row = await oneRow<{ n: number }>(client, `SELECT COUNT(*) AS n FROM (SELECT 1 FROM tickets t ${whereOf(where)} LIMIT $${args.push(cap)}) x`, args);
      return row?.n ?? 0;
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
