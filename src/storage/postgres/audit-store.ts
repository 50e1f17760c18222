import { canonicalJson, HASHED_COLUMNS, type ChainRow } from '../../audit/audit-chain.js';
import type { AuditRow, AuditStore } from '../../audit/audit-store.js';
import { AUDIT_CHAIN_LOCK } from './advisory-locks.js';
import { allRows, bytes, oneRow, type PgClient } from './client.js';

/** Rows per keyset page when streaming the log (verify, export). */
export const AUDIT_PAGE_ROWS = 5000;


type HashedRow = { seq: number } & Record<string, unknown> & { prev_hash: Buffer; hash: Buffer };

const HASHED = HASHED_COLUMNS.split(', ');
const hashedValues = (r: Record<string, unknown>) => HASHED.map((column) => r[column]);

/**
 * `appends`: the store is bound to a write transaction. Its first `head()` (or `insert()`) then
 * takes the chain's transaction-scoped advisory lock before reading the head, so appends from every
 * instance queue up from head read to commit: one chain, no fork, no gap. Reads never take it.
 */
export function createPgAuditStore(client: PgClient, options: { appends: boolean }): AuditStore {
  let holdsChain = false;
  const lockChain = async () => {
    if (!options.appends || holdsChain) return;
    await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
    holdsChain = true;
  };

  /** Keyset pages by seq, so a walk over millions of rows holds one page at a time. */
  async function* pages<R extends { seq: number }>(text: (afterSeqParam: string) => string, values: unknown[]): AsyncGenerator<R> {
    let after = 0;
    for (;;) {
      const rows = await allRows<R>(client, text(`$${values.length + 1}`), [...values, after]);
      yield* rows;
      if (rows.length < AUDIT_PAGE_ROWS) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  const chainRows = (fromSeq: number, toSeq: number): AsyncIterable<ChainRow> => ({
    async *[Symbol.asyncIterator]() {
      const rows = pages<HashedRow>(
        (after) =>
          `SELECT ${HASHED_COLUMNS}, prev_hash, hash FROM audit_events
           WHERE seq >= $1 AND seq <= $2 AND seq > ${after} ORDER BY seq LIMIT ${AUDIT_PAGE_ROWS}`,
        [fromSeq, toSeq],
      );
      for await (const r of rows) yield [r.seq, canonicalJson(hashedValues(r)), r.prev_hash, r.hash];
    },
  });

  return {
    head: async () => {
      await lockChain();
      return oneRow<{ seq: number; hash: Buffer }>(client, 'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
    },
    insert: async (r) => {
      await lockChain();
      await client.query(
        `INSERT INTO audit_events (seq, at, action, actor_type, actor_id, actor_name, ticket_id, credential_id,
           reason, detail, ip, user_agent, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [r.seq, r.at, r.action, r.actor_type, r.actor_id, r.actor_name, r.ticket_id, r.credential_id, r.reason, r.detail, r.ip, r.user_agent, bytes(r.prev_hash), bytes(r.hash)],
      );
    },
    query: async (q) => {
      const where: string[] = [];
      const args: unknown[] = [];
      const add = (column: string, op: string, value: string | number | undefined) => {
        if (value !== undefined) where.push(`${column} ${op} $${args.push(value)}`);
      };
      add('ticket_id', '=', q.ticketId);
      add('credential_id', '=', q.credentialId);
      add('action', '=', q.action);
      add('actor_id', '=', q.actorId);
      add('at', '>=', q.since);
      add('at', '<', q.until);
      add('seq', '<', q.beforeSeq);
      return allRows<AuditRow>(
        client,
        `SELECT * FROM audit_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT $${args.push(q.limit)}`,
        args,
      );
    },
    revealsOf: async (ids) =>
      ids.length === 0
        ? []
        : allRows<AuditRow>(client, `SELECT * FROM audit_events WHERE credential_id = ANY($1::text[]) AND action = 'credential.revealed' ORDER BY seq`, [ids]),
    countReveals: async (ids) => {
      const counts = new Map<string, number>();
      if (ids.length === 0) return counts;
      const rows = await allRows<{ credential_id: string; n: number }>(
        client,
        `SELECT credential_id, COUNT(*) AS n FROM audit_events WHERE credential_id = ANY($1::text[]) AND action = 'credential.revealed' GROUP BY credential_id`,
        [ids],
      );
      for (const r of rows) counts.set(r.credential_id, r.n);
      return counts;
    },
    // Without sinceAt no filter at all: verify must see a row whose `at` was rewritten to any value.
    iterate: (sinceAt) => ({
      [Symbol.asyncIterator]: () =>
        sinceAt === undefined
          ? pages<AuditRow>((after) => `SELECT * FROM audit_events WHERE seq > ${after} ORDER BY seq LIMIT ${AUDIT_PAGE_ROWS}`, [])
          : pages<AuditRow>((after) => `SELECT * FROM audit_events WHERE at >= $1 AND seq > ${after} ORDER BY seq LIMIT ${AUDIT_PAGE_ROWS}`, [sinceAt]),
    }),
    iterateChain: chainRows,
    canonicalOf: async (seq) => {
      const r = await oneRow<Record<string, unknown>>(client, `SELECT ${HASHED_COLUMNS} FROM audit_events WHERE seq = $1`, [seq]);
      return r && canonicalJson(hashedValues(r));
    },
    maxSeq: async () => (await oneRow<{ n: number | null }>(client, 'SELECT MAX(seq) AS n FROM audit_events'))?.n ?? 0,
  };
}
