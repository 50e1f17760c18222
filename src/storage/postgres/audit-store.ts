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

/** A write transaction's appends to the chain: head() holds the chain's lock, append() follows it. */
export interface ChainAccess {
  /** The head, with the chain's lock held (taken now if the transaction does not hold it yet). */
  head(): Promise<Head | undefined>;
  /** Sends an append after head() without waiting for it; the head moves to it. */
  append(row: AuditRow): void;
}

/**
 * One write transaction's hold on the chain. `lockFirst`: the lock is taken now, with BEGIN, before
 * any row lock (grouped writes, and a write run again after ChainBusy); otherwise at the first
 * head(), waiting for it only while the transaction cannot hold a row lock, else without waiting
 * (ChainBusy). So a holder of the chain never waits for a row held by a transaction waiting for the
 * chain (docs/decisions/020). Once held, the head is known from each append without reading it.
 */
export function createChainAccess(client: PgTransactionClient, lockFirst: boolean): ChainAccess {
  let head = lockFirst ? holdChain(client) : null;
  void head?.catch(() => undefined);
  return {
    head: () => (head ??= client.mayHoldRowLocks ? tryHoldChain(client) : holdChain(client)),
    append(row) {
      client.send(INSERT, insertValues(row));
      const appended = { seq: row.seq, hash: bytes(row.hash) };
      head = head!.then((before) => (before && before.seq > row.seq ? before : appended));
    },
  };
}

/**
 * A group's units appending through one transaction at once: one unit at a time holds the turn,
 * from its head() to its next other statement or its end (`release`), so each unit's rows follow
 * the head it read. Turns go in the order the units ask.
 */
export function createAppendTurns(chain: ChainAccess) {
  let holder: object | null = null;
  const waiting: { unit: object; grant: () => void }[] = [];
  return {
    unit() {
      const unit = {};
      const access: ChainAccess = {
        head: async () => {
          if (holder === null) holder = unit;
          else if (holder !== unit) await new Promise<void>((grant) => waiting.push({ unit, grant }));
          return chain.head();
        },
        append: (row) => chain.append(row),
      };
      const release = () => {
        if (holder !== unit) return;
        const next = waiting.shift();
        holder = next?.unit ?? null;
        next?.grant();
      };
      return { chain: access, release };
    },
  };
}

/**
 * With `chain`, the store is bound to a write transaction and appends under the chain's lock, so
 * appends from every instance queue up: one chain, no fork, no gap. Inserts are sent without
 * waiting (the next statement travels with them). Reads (no `chain`) never take the lock.
 */
export function createPgAuditStore(client: PgClient, chain?: ChainAccess): AuditStore {
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
    head: async () => (chain ? chain.head() : oneRow<Head>(client, HEAD)),
    insert: async (r) => {
      if (!chain) {
        await client.query(INSERT, insertValues(r));
        return;
      }
      await chain.head();
      chain.append(r);
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
