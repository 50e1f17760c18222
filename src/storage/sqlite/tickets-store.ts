import type { Database, Statement } from './database.js';
import type { TicketStatus } from '../../tickets/ticket-status.js';
import type { TicketRecord, TicketListQuery, TicketListRow, TicketStore } from '../../tickets/tickets-store.js';
import type { Sync } from '../storage.js';
import { ticketOf as fromRaw, type TicketRow as Raw } from '../rows.js';

/**
 * Above this many index candidates a search is broad: scanning tickets in list order finds a page
 * of matches sooner than sorting every candidate.
 */
const SEARCH_CAP = 1000;

/**
 * A search first scans this many tickets per item asked for, in list order, before asking the index:
 * a term on half the tickets or more fills its page there (docs/decisions/011).
 */
const FIRST_SCAN_ROWS_PER_ITEM = 2;

/** A list row in one object (no spread of the record into a second one). */
function listRowOf(r: Raw): TicketListRow {
  const row = fromRaw(r) as TicketListRow;
  row.liveCredentials = r.live_credentials ?? 0;
  return row;
}

export function createTicketStore(db: Database): Sync<TicketStore> {
  const insert = db.prepare(
    `INSERT INTO tickets (id, external_ref, subject, customer_email, customer_name, support_until, support_until_date, status,
       created_by, created_at, updated_at, closed_at)
     VALUES (@id, @externalRef, @subject, @customerEmail, @customerName, @supportUntil, @supportUntilDate, @status,
       @createdBy, @createdAt, @updatedAt, @closedAt)`,
  );
  const get = db.prepare<[string], Raw>('SELECT * FROM tickets WHERE id = ?');
  const getByRef = db.prepare<[string], Raw>('SELECT * FROM tickets WHERE external_ref = ?');
  const close = db.prepare(`UPDATE tickets SET status = 'closed', closed_at = @at, updated_at = @at WHERE id = @id`);
  const reopen = db.prepare(`UPDATE tickets SET status = 'open', closed_at = NULL, updated_at = @at WHERE id = @id`);
  // Candidates for `q` from the trigram index (migration 016), up to SEARCH_CAP of them.
  const searchCandidates = db
    .prepare<{ match: string; cap: number }, number>('SELECT rowid FROM tickets_search WHERE tickets_search MATCH @match LIMIT @cap')
    .pluck();
  // A list query is one of a few shapes (which filters are present): each is prepared once.
  const listStatements = new Map<string, Statement<Record<string, string | number>, Raw>>();
  const whereOf = (terms: string[]) => (terms.length ? 'WHERE ' + terms.join(' AND ') : '');
  /** Tickets `from` in list order, each with its live credentials, counted from credentials_live_by_ticket (migration 021) alone. */
  const listed = (from: string, args: Record<string, string | number>): TicketListRow[] => {
    const sql = `SELECT t.*, (SELECT COUNT(*) FROM credentials c WHERE c.ticket_id = t.id AND c.status IN ('active', 'restricted')) AS live_credentials
      ${from} ORDER BY t.created_at DESC, t.id DESC LIMIT @limit`;
    let statement = listStatements.get(sql);
    if (!statement) listStatements.set(sql, (statement = db.prepare<Record<string, string | number>, Raw>(sql)));
    return statement.all(args).map(listRowOf);
  };

  return {
    insert: (t) => {
      insert.run(t);
    },
    get: (id) => {
      const r = get.get(id);
      return r && fromRaw(r);
    },
    getByExternalRef: (ref) => {
      const r = getByRef.get(ref);
      return r && fromRaw(r);
    },
    list: (q) => {
      const where: string[] = [];
      const args: Record<string, string | number> = { limit: q.limit };
      if (q.status) {
        where.push('t.status = @status');
        args.status = q.status;
      }
      if (q.after) {
        // A row value, so the index seeks straight to the cursor (the list's order, ties by id).
        where.push('(t.created_at, t.id) < (@afterAt, @afterId)');
        args.afterAt = q.after.createdAt;
        args.afterId = q.after.id;
      }
      if (!q.q) return listed(`FROM tickets t ${whereOf(where)}`, args);
      const like = `(t.external_ref LIKE @q ESCAPE '\\' OR t.subject LIKE @q ESCAPE '\\' OR t.customer_email LIKE @q ESCAPE '\\' OR t.customer_name LIKE @q ESCAPE '\\')`;
      args.q = `%${q.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
      // Under 3 characters the trigram index cannot help: a scan in list order.
      if ([...q.q].length >= 3) {
        // A broad term fills the page from the first few tickets in list order, for less than the
        // index's candidates would cost: tried first, and kept when the page is full (nothing later
        // in the list can come before what it found).
        const first = listed(`FROM (SELECT * FROM tickets t ${whereOf(where)} ORDER BY t.created_at DESC, t.id DESC LIMIT @firstRows) t WHERE ${like}`, {
          ...args,
          firstRows: q.limit * FIRST_SCAN_ROWS_PER_ITEM,
        });
        if (first.length === q.limit) return first;
        // A selective search reads only the index's candidates (the LIKE still decides, so the
        // answer is the same as a scan's); a broad one scans in list order.
        const candidates = searchCandidates.all({ match: `"${q.q.replace(/"/g, '""')}"`, cap: SEARCH_CAP });
        if (candidates.length < SEARCH_CAP) {
          where.push('t.rowid IN (SELECT value FROM json_each(@candidates))');
          args.candidates = JSON.stringify(candidates);
        }
      }
      return listed(`FROM tickets t ${whereOf([...where, like])}`, args);
    },
    setStatus: (id, status, at) => {
      (status === 'closed' ? close : reopen).run({ id, at });
    },
    update: (id, changes, at) => {
      const sets: string[] = ['updated_at = @at'];
      const columns: Record<string, string> = {
        subject: 'subject',
        customerEmail: 'customer_email',
        customerName: 'customer_name',
        supportUntil: 'support_until',
        supportUntilDate: 'support_until_date',
      };
      for (const key of Object.keys(changes)) sets.push(`${columns[key]} = @${key}`);
      db.prepare(`UPDATE tickets SET ${sets.join(', ')} WHERE id = @id`).run({ ...changes, id, at });
    },
  };
}
