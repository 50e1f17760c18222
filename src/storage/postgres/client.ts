import type pg from 'pg';

/** What a PostgreSQL store needs: one connection (inside a transaction) or the pool. */
export type PgClient = Pick<pg.ClientBase, 'query'>;

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
