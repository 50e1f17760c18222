import type { Database, Statement } from './database.js';
import type { TicketStatus } from '../../tickets/ticket-status.js';
import type { TicketFilter, TicketListQuery, TicketListRow, TicketStore } from '../../tickets/tickets-store.js';
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
  row.soonestExpiry = r.soonest_expiry ?? null;
  return row;
}

type Args = Record<string, string | number>;

const CANDIDATES = 't.rowid IN (SELECT value FROM json_each(@candidates))';

const LIVE = `status IN ('active', 'restricted')`;
/** A ticket's live credentials, counted and their soonest expiry read from credentials_live_by_ticket (migration 025) alone. */
const LIVE_COUNT = `(SELECT COUNT(*) FROM credentials c WHERE c.ticket_id = t.id AND c.${LIVE})`;
const SOONEST = `(SELECT MIN(c.expires_at) FROM credentials c WHERE c.ticket_id = t.id AND c.${LIVE})`;
const HAS_LIVE = `EXISTS (SELECT 1 FROM credentials c WHERE c.ticket_id = t.id AND c.${LIVE})`;

/** The orders that read tickets in an index's order (expiry walks the credentials instead). */
const TICKET_ORDERS = {
  created: { by: 't.created_at DESC, t.id DESC', after: '(t.created_at, t.id) < (@afterKey, @afterId)' },
  updated: { by: 't.updated_at DESC, t.id DESC', after: '(t.updated_at, t.id) < (@afterKey, @afterId)' },
  // external_ref is UNIQUE: it is the whole key.
  ref: { by: 't.external_ref', after: 't.external_ref > @afterKey' },
} as const;

/** The LIKE test of `q` on a ticket's own columns (the label test is added beside it). */
const TICKET_LIKE = `t.external_ref LIKE @q ESCAPE '\\' OR t.subject LIKE @q ESCAPE '\\' OR t.customer_email LIKE @q ESCAPE '\\' OR t.customer_name LIKE @q ESCAPE '\\'`;

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
  // Candidates for `q` from the trigram indexes (migrations 016 and 025), up to SEARCH_CAP of them.
  const searchCandidates = db
    .prepare<{ match: string; cap: number }, number>('SELECT rowid FROM tickets_search WHERE tickets_search MATCH @match LIMIT @cap')
    .pluck();
  const labelCandidates = db
    .prepare<{ match: string; cap: number }, number>('SELECT rowid FROM credentials_label_search WHERE credentials_label_search MATCH @match LIMIT @cap')
    .pluck();
  // The tickets of the candidate credentials whose label passes the LIKE.
  const labelTickets = db.prepare<{ candidates: string; q: string }, { rowid: number; id: string }>(
    `SELECT DISTINCT t.rowid AS rowid, t.id AS id FROM credentials c JOIN tickets t ON t.id = c.ticket_id
     WHERE c.rowid IN (SELECT value FROM json_each(@candidates)) AND c.label LIKE @q ESCAPE '\\'`,
  );
  // A list query is one of a few shapes (which filters are present): each is prepared once.
  const statements = new Map<string, Statement<Args, Raw>>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare<Args, Raw>(sql)));
    return statement;
  };
  const whereOf = (terms: string[]) => (terms.length ? 'WHERE ' + terms.join(' AND ') : '');
  /** Tickets `from` in `order`, each with its live credentials. */
  const listed = (from: string, by: string, args: Args): TicketListRow[] =>
    prepared(`SELECT t.*, ${LIVE_COUNT} AS live_credentials, ${SOONEST} AS soonest_expiry ${from} ORDER BY ${by} LIMIT @limit`).all(args).map(listRowOf);

  /**
   * `q` as SQL: the LIKE over the ticket's columns or a credential's label, and the rowids of the
   * only tickets that can pass it when the trigram indexes hold fewer than SEARCH_CAP candidates
   * for both (null: a scan, which the LIKE alone decides). The tickets' candidates are read only
   * when asked for: a broad term's page is found before them (docs/decisions/011).
   */
  function searchOf(q: string, args: Args): { like: string; candidates: () => number[] | null } {
    args.q = `%${q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    const labelScan = `EXISTS (SELECT 1 FROM credentials c WHERE c.ticket_id = t.id AND c.label LIKE @q ESCAPE '\\')`;
    // Under 3 characters the trigram indexes cannot help.
    if ([...q].length < 3) return { like: `(${TICKET_LIKE} OR ${labelScan})`, candidates: () => null };
    const match = `"${q.replace(/"/g, '""')}"`;
    const labels = labelCandidates.all({ match, cap: SEARCH_CAP });
    if (labels.length >= SEARCH_CAP) return { like: `(${TICKET_LIKE} OR ${labelScan})`, candidates: () => null };
    const byLabel = labels.length ? labelTickets.all({ candidates: JSON.stringify(labels), q: args.q }) : [];
    if (byLabel.length) args.labelTickets = JSON.stringify(byLabel.map((r) => r.id));
    return {
      like: byLabel.length ? `(${TICKET_LIKE} OR t.id IN (SELECT value FROM json_each(@labelTickets)))` : `(${TICKET_LIKE})`,
      candidates: () => {
        const own = searchCandidates.all({ match, cap: SEARCH_CAP });
        return own.length < SEARCH_CAP ? [...own, ...byLabel.map((r) => r.rowid)] : null;
      },
    };
  }

  /** The filter's terms on `tickets t`, its values added to `args`. */
  function filterOf(filter: TicketFilter, args: Args): { where: string[]; search: ReturnType<typeof searchOf> | null } {
    const where: string[] = [];
    if (filter.status) {
      where.push('t.status = @status');
      args.status = filter.status;
    }
    if (filter.live) where.push(HAS_LIVE);
    return { where, search: filter.q ? searchOf(filter.q, args) : null };
  }

  /** `@candidates` set to the search's candidates, and the term that narrows to them; null when the search scans. */
  function candidatesOf(search: ReturnType<typeof searchOf>, args: Args): string | null {
    const candidates = search.candidates();
    if (candidates === null) return null;
    args.candidates = JSON.stringify(candidates);
    return CANDIDATES;
  }

  /**
   * Soonest expiry first: walks live credentials in expiry order (credentials_live_by_expiry) and
   * keeps the one that is its ticket's first (one seek in credentials_live_by_ticket), so each
   * ticket comes once, at its soonest expiry; a page reads about as many credentials as it shows
   * tickets, plus those of a ticket it passes. A selective search sorts its candidates instead.
   */
  function listByExpiry(q: TicketListQuery, args: Args): TicketListRow[] {
    const f = filterOf({ status: q.status, q: q.q }, args);
    const narrowed = f.search && candidatesOf(f.search, args);
    if (f.search && narrowed) {
      const after = q.after ? 'AND (t.soonest_expiry, t.id) > (@afterKey, @afterId)' : '';
      return prepared(
        `SELECT * FROM (SELECT t.*, ${LIVE_COUNT} AS live_credentials, ${SOONEST} AS soonest_expiry FROM tickets t ${whereOf([...f.where, narrowed, f.search.like])}) t
         WHERE t.soonest_expiry IS NOT NULL ${after} ORDER BY t.soonest_expiry, t.id LIMIT @limit`,
      )
        .all(args)
        .map(listRowOf);
    }
    const where = [
      `c.${LIVE}`,
      `c.rowid = (SELECT c2.rowid FROM credentials c2 INDEXED BY credentials_live_by_ticket WHERE c2.ticket_id = c.ticket_id AND c2.${LIVE} ORDER BY c2.expires_at, c2.rowid LIMIT 1)`,
      ...(q.after ? ['(c.expires_at, c.ticket_id) > (@afterKey, @afterId)'] : []),
      ...f.where,
      ...(f.search ? [f.search.like] : []),
    ];
    // CROSS JOIN: the credentials' index is the outer loop, so rows come in the page's order.
    return prepared(
      `SELECT t.*, ${LIVE_COUNT} AS live_credentials, c.expires_at AS soonest_expiry
       FROM credentials c INDEXED BY credentials_live_by_expiry CROSS JOIN tickets t ON t.id = c.ticket_id
       ${whereOf(where)} ORDER BY c.expires_at, c.ticket_id LIMIT @limit`,
    )
      .all(args)
      .map(listRowOf);
  }

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
      const args: Args = { limit: q.limit };
      if (q.after) {
        args.afterKey = q.after.key;
        args.afterId = q.after.id;
      }
      if (q.sort === 'expiry') return listByExpiry(q, args);
      const order = TICKET_ORDERS[q.sort];
      const f = filterOf(q, args);
      // A row value, so the index seeks straight to the cursor (the list's order, ties by id).
      const where = [...f.where, ...(q.after ? [order.after] : [])];
      if (!f.search) return listed(`FROM tickets t ${whereOf(where)}`, order.by, args);
      if ([...q.q!].length >= 3) {
        // A broad term fills the page from the first few tickets in list order, for less than the
        // index's candidates would cost: tried first, and kept when the page is full (nothing later
        // in the list can come before what it found).
        const first = listed(`FROM (SELECT * FROM tickets t ${whereOf(where)} ORDER BY ${order.by} LIMIT @firstRows) t WHERE ${f.search.like}`, order.by, {
          ...args,
          firstRows: q.limit * FIRST_SCAN_ROWS_PER_ITEM,
        });
        if (first.length === q.limit) return first;
      }
      // A selective search reads only the indexes' candidates (the LIKE still decides, so the
      // answer is the same as a scan's); a broad or short one scans in list order.
      const narrowed = candidatesOf(f.search, args);
      return listed(`FROM tickets t ${whereOf([...where, ...(narrowed ? [narrowed] : []), f.search.like])}`, order.by, args);
    },
    count: (filter, cap) => {
      const args: Args = { cap };
      const f = filterOf(filter, args);
      const narrowed = f.search && candidatesOf(f.search, args);
      const where = [...f.where, ...(narrowed ? [narrowed] : []), ...(f.search ? [f.search.like] : [])];
      return (prepared(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM tickets t ${whereOf(where)} LIMIT @cap)`).get(args) as unknown as { n: number }).n;
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
