import type { Database } from './database.js';
import { canonicalJson, HASHED_COLUMNS, type ChainRow } from '../../audit/audit-chain.js';
import type { AuditRow, AuditQuery, AuditStore } from '../../audit/audit-store.js';
import type { Sync } from '../storage.js';
import { sqliteCodeOf } from './storage-faults.js';

export function createAuditStore(db: Database): Sync<AuditStore> {
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
    // SQLite builds the JSON unless a writer stored a BLOB where text belongs: from that row on, JavaScript does.
    iterateChain: function* (fromSeq, toSeq) {
      let next = fromSeq;
      try {
        for (const row of chainJson.iterate(fromSeq, toSeq)) {
          next = row[0] + 1;
          yield row;
        }
        return;
      } catch (error) {
        if (sqliteCodeOf(error) !== 'SQLITE_ERROR') throw error;
      }
      for (const row of chainColumns.iterate(next, toSeq)) yield [row[0] as number, canonicalJson(row), row[12], row[13]];
    },
    canonicalOf: (seq) => {
      const values = hashedColumns.get(seq);
      return values && canonicalJson(values);
    },
    maxSeq: () => maxSeq.get()?.n ?? 0,
  };
}
