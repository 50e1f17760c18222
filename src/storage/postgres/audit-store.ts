import { canonicalJson, HASHED_COLUMNS, type ChainRow } from '../../audit/audit-chain.js';
import type { AuditRow, AuditStore } from '../../audit/audit-store.js';
import { AUDIT_CHAIN_LOCK, ChainBusy } from './advisory-locks.js';
import { allRows, bytes, oneRow, type PgClient, type PgTransactionClient } from './client.js';

/** Rows per keyset page when streaming the log (verify, export). */
export const AUDIT_PAGE_ROWS = 5000;

type HashedRow = { seq: number } & Record<string, unknown> & { prev_hash: Buffer; hash: Buffer };
type Head = { seq: number; hash: Buffer };

const HASHED = HASHED_COLUMNS.split(', ');
const hashedValues = (r: Record<string, unknown>) => HASHED.map((column) => r[column]);

const HEAD = 'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1';
const INSERT = `INSERT INTO audit_events (seq, at, action, actor_type, actor_id, actor_name, ticket_id, credential_id,
    reason, detail, ip, user_agent, prev_hash, hash)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`;
const insertValues = (r: AuditRow) => [
  r.seq, r.at, r.action, r.actor_type, r.actor_id, r.actor_name, r.ticket_id, r.credential_id, r.reason, r.detail, r.ip, r.user_agent, bytes(r.prev_hash), bytes(r.hash),
];

/**
 * Takes the audit chain's transaction lock, waiting for it, and reads the head under it: two
 * statements in one round trip. The head is its own statement, so its snapshot is taken once the
 * lock is granted and it sees every append committed before.
 */
export function holdChain(client: PgTransactionClient): Promise<Head | undefined> {
  client.send(`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  return oneRow<Head>(client, HEAD);
}

/** As holdChain, but without waiting: a transaction that may hold row locks never waits for the chain. */
async function tryHoldChain(client: PgTransactionClient): Promise<Head | undefined> {
  const tried = oneRow<{ held: boolean }>(client, `SELECT pg_try_advisory_xact_lock(${AUDIT_CHAIN_LOCK}) AS held`);
  const head = oneRow<Head>(client, HEAD);
  void head.catch(() => undefined);
  if (!(await tried)?.held) throw new ChainBusy();
  return head;
}

/**
 * A write transaction's way onto the chain (postgres-storage.ts): `held` is the head read just after
 * the chain's lock was taken with BEGIN (grouped writes, and a write run again after ChainBusy), or
 * null when the lock is taken at the first head()/insert().
 */
export interface ChainAccess {
  client: PgTransactionClient;
  held: Promise<Head | undefined> | null;
}

/**
 * With `chain`, the store is bound to a write transaction: appends hold the chain's advisory lock
 * from the head read to commit, so appends from every instance queue up: one chain, no fork, no gap.
 * The lock is taken before any row lock, or else without waiting (ChainBusy), so a holder of the
 * chain never waits for a row held by a transaction waiting for the chain (docs/decisions/020).
 * Inserts are sent without waiting (the next statement travels with them); the head is then known
 * without reading it again. Reads (no `chain`) never take the lock.
 */
export function createPgAuditStore(client: PgClient, chain?: ChainAccess): AuditStore {
  let head = chain?.held ?? null;
  const lockedHead = (access: ChainAccess) => (head ??= access.client.mayHoldRowLocks ? tryHoldChain(access.client) : holdChain(access.client));

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
    head: async () => (chain ? lockedHead(chain) : oneRow<Head>(client, HEAD)),
    insert: async (r) => {
      if (!chain) {
        await client.query(INSERT, insertValues(r));
        return;
      }
      const before = await lockedHead(chain);
      chain.client.send(INSERT, insertValues(r));
      head = Promise.resolve(before && before.seq > r.seq ? before : { seq: r.seq, hash: bytes(r.hash) });
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
