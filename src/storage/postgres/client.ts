import type net from 'node:net';
import type pg from 'pg';

/** What a PostgreSQL store needs: one connection (inside a transaction) or the pool. */
export interface PgClient {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** A transaction's connection as the audit store appends through it (postgres-storage.ts makes it). */
export interface PgTransactionClient extends PgClient {
  /** Whether a statement that may have locked rows has been sent: anything but a plain SELECT. */
  readonly mayHoldRowLocks: boolean;
  /**
   * Sends a statement without waiting for its answer: the pool's connections pipeline, so the next
   * statement goes out with it, one round trip for both. If it fails, every later statement and the
   * COMMIT fail with its error.
   */
  send(text: string, values?: unknown[]): void;
}

const PLAIN_SELECT = /^\s*SELECT\b(?![\s\S]*\bFOR\s+(?:UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b)/i;

/**
 * Binds stores to one pooled connection inside a transaction (`begin` and `commit` are the
 * transaction's own statements, which lock nothing). A failure of a statement sent without waiting
 * is the cause of whatever fails after it: PostgreSQL answers those with 25P02, and the COMMIT of
 * the failed transaction with ROLLBACK.
 */
export function createPgTransactionClient(connection: pg.PoolClient) {
  let failure: unknown;
  let mayHoldRowLocks = false;
  const sent: Promise<void>[] = [];
  const noteFailure = (error: unknown) => {
    failure ??= error;
  };
  // Statements issued in one turn of the event loop (BEGIN, the chain's lock and head, the first
  // read) leave in one write to the socket: each write wakes the server and costs a system call.
  const socket = (connection as unknown as { connection?: { stream?: Partial<net.Socket> } }).connection?.stream;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket!.uncork!();
  };
  const issue = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
    if (!corked && socket?.cork && socket.uncork) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return connection.query<R>(text, values);
  };
  const sendOwn = (text: string, values?: unknown[]) => void sent.push(issue(text, values).then(() => undefined, noteFailure));
  /** The first failure among statements sent without waiting, once all of them have answered. */
  const firstFailure = async () => {
    await Promise.all(sent);
    return failure;
  };

  const client: PgTransactionClient = {
    get mayHoldRowLocks() {
      return mayHoldRowLocks;
    },
    async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]) {
      if (!mayHoldRowLocks && !PLAIN_SELECT.test(text)) mayHoldRowLocks = true;
      try {
        return await issue<R>(text, values);
      } catch (error) {
        throw (await firstFailure()) ?? error;
      }
    },
    send(text, values) {
      if (!mayHoldRowLocks && !PLAIN_SELECT.test(text)) mayHoldRowLocks = true;
      sendOwn(text, values);
    },
  };

  return {
    client,
    begin: (statement: string) => sendOwn(statement),
    /** Commits; throws the cause if the transaction had failed (PostgreSQL then rolled it back). */
    async commit(): Promise<void> {
      const result = await issue('COMMIT');
      const cause = await firstFailure();
      if (cause) throw cause;
      if (result.command !== 'COMMIT') throw new Error(`COMMIT answered ${result.command}: the transaction had failed`);
    },
    /** The error to report for `error`: the failure of a statement sent earlier, if one failed. */
    causeOf: async (error: unknown) => (await firstFailure()) ?? error,
  };
}

/** A value for a BYTEA parameter: pg sends a Buffer as bytes. */
export const bytes = (value: Uint8Array): Buffer => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength));

/** The first row of a query, or undefined. */
export async function oneRow<R extends pg.QueryResultRow>(client: PgClient, text: string, values: unknown[] = []): Promise<R | undefined> {
  return (await client.query<R>(text, values)).rows[0];
}

/** Every row of a query. */
export async function allRows<R extends pg.QueryResultRow>(client: PgClient, text: string, values: unknown[] = []): Promise<R[]> {
  return (await client.query<R>(text, values)).rows;
}

/** How many rows a statement changed. */
export async function changedRows(client: PgClient, text: string, values: unknown[] = []): Promise<number> {
  return (await client.query(text, values)).rowCount ?? 0;
}
