import type { Database } from '../storage/database.js';
import { canonicalJson, HASHED_COLUMNS, type ChainRow } from './audit-chain.js';

export interface AuditRow {
  seq: number;
  at: number;
  action: string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  ticket_id: string | null;
  credential_id: string | null;
  reason: string | null;
  detail: string | null;
  ip: string | null;
  user_agent: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

export interface AuditQuery {
  ticketId?: string;
  credentialId?: string;
  action?: string;
  actorId?: string;
  since?: number;
  until?: number;
  beforeSeq?: number;
  limit: number;
}

export interface AuditStore {
  head(): { seq: number; hash: Buffer } | undefined;
  insert(row: AuditRow): void;
  query(q: AuditQuery): AuditRow[];
  revealsOf(credentialIds: string[]): AuditRow[];
  countReveals(credentialIds: string[]): Map<string, number>;
  /** Every row in seq order, streamed (audit verify over millions of rows); only rows at or after `sinceAt` if given. */
  iterate(sinceAt?: number): IterableIterator<AuditRow>;
  /**
   * Rows fromSeq..toSeq in seq order for the chain check, with SQLite building each row's canonical
   * JSON (one string per row instead of twelve values: the walk's main cost is crossing into JS).
   */
  iterateChain(fromSeq: number, toSeq: number): IterableIterator<ChainRow>;
  /** The same rows with the canonical JSON built in JavaScript (when SQLite cannot: a BLOB where text belongs). */
  iterateChainInJs(fromSeq: number, toSeq: number): Generator<ChainRow>;
  /** One row's canonical JSON built in JavaScript. */
  canonicalOf(seq: number): string | undefined;
  maxSeq(): number;
}

export function createAuditStore(db: Database): AuditStore {
  const head = db.prepare<[], { seq: number; hash: Buffer }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare(
    `INSERT INTO audit_events (seq, at, action, actor_type, actor_id, actor_name, ticket_id, credential_id,
       reason, detail, ip, user_agent, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Without sinceAt no filter at all: verify must see a row whose `at` was rewritten to any value.
  const iterateAll = db.prepare<[], AuditRow>('SELECT * FROM audit_events ORDER BY seq');
  const iterateSince = db.prepare<[number], AuditRow>('SELECT * FROM audit_events WHERE at >= ? ORDER BY seq');
  const chainJson = db
    .prepare<[number, number], ChainRow>(
      `SELECT seq, json_array(1, ${HASHED_COLUMNS}), prev_hash, hash FROM audit_events WHERE seq BETWEEN ? AND ? ORDER BY seq`,
    )
    .raw(true);
  const chainColumns = db
    .prepare<[number, number], unknown[]>(`SELECT ${HASHED_COLUMNS}, prev_hash, hash FROM audit_events WHERE seq BETWEEN ? AND ? ORDER BY seq`)
    .raw(true);
  const hashedColumns = db.prepare<[number], unknown[]>(`SELECT ${HASHED_COLUMNS} FROM audit_events WHERE seq = ?`).raw(true);
  const maxSeq = db.prepare<[], { n: number | null }>('SELECT MAX(seq) AS n FROM audit_events');

  return {
    head: () => head.get(),
    insert: (r) => {
      // Positional binding: measurably cheaper than named parameters on the purge and reveal paths.
      insert.run(r.seq, r.at, r.action, r.actor_type, r.actor_id, r.actor_name, r.ticket_id, r.credential_id, r.reason, r.detail, r.ip, r.user_agent, r.prev_hash, r.hash);
    },
    query: (q) => {
      const where: string[] = [];
      const args: Record<string, string | number> = { limit: q.limit };
      const add = (sql: string, key: string, value: string | number | undefined) => {
        if (value === undefined) return;
        where.push(sql);
        args[key] = value;
      };
      add('ticket_id = @ticketId', 'ticketId', q.ticketId);
      add('credential_id = @credentialId', 'credentialId', q.credentialId);
      add('action = @action', 'action', q.action);
      add('actor_id = @actorId', 'actorId', q.actorId);
      add('at >= @since', 'since', q.since);
      add('at < @until', 'until', q.until);
      add('seq < @beforeSeq', 'beforeSeq', q.beforeSeq);
      const sql = `SELECT * FROM audit_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT @limit`;
      return db.prepare<Record<string, string | number>, AuditRow>(sql).all(args);
    },
    // INDEXED BY: once reveals pile up, the planner would otherwise walk every 'credential.revealed' row.
    revealsOf: (ids) => {
      if (ids.length === 0) return [];
      const marks = ids.map(() => '?').join(',');
      return db
        .prepare<string[], AuditRow>(
          `SELECT * FROM audit_events INDEXED BY audit_events_credential WHERE credential_id IN (${marks}) AND action = 'credential.revealed' ORDER BY seq`,
        )
        .all(...ids);
    },
    countReveals: (ids) => {
      const counts = new Map<string, number>();
      if (ids.length === 0) return counts;
      const rows = db
        .prepare<string[], { credential_id: string; n: number }>(
          `SELECT credential_id, COUNT(*) AS n FROM audit_events INDEXED BY audit_events_credential
           WHERE credential_id IN (${ids.map(() => '?').join(',')}) AND action = 'credential.revealed'
           GROUP BY credential_id`,
        )
        .all(...ids);
      for (const r of rows) counts.set(r.credential_id, r.n);
      return counts;
    },
    iterate: (sinceAt) => (sinceAt === undefined ? iterateAll.iterate() : iterateSince.iterate(sinceAt)),
    iterateChain: (fromSeq, toSeq) => chainJson.iterate(fromSeq, toSeq),
    iterateChainInJs: function* (fromSeq, toSeq) {
      for (const row of chainColumns.iterate(fromSeq, toSeq)) yield [row[0] as number, canonicalJson(row), row[12], row[13]];
    },
    canonicalOf: (seq) => {
      const values = hashedColumns.get(seq);
      return values && canonicalJson(values);
    },
    maxSeq: () => maxSeq.get()?.n ?? 0,
  };
}
