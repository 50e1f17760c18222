import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditRow } from '../../src/audit/audit-store.js';
import { StorageUnavailable } from '../../src/errors.js';
import { createPostgresStorage, type PostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { openTestStorage, type TestDatabase } from '../harness/postgres.js';
import { arrangeCredentials, holdAuditChain, ticketRecord, type PgStores } from './records.js';

const as = (stores: unknown) => stores as PgStores;

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('PostgreSQL storage', () => {
  let opened: Awaited<ReturnType<typeof openTestStorage>>;
  let db: TestDatabase;
  let storage: PostgresStorage;
  beforeAll(async () => {
    opened = await openTestStorage();
    ({ db, storage } = opened);
  });
  afterAll(() => opened.close());

  it('when the server is unreachable › start-up fails with StorageUnavailable', async () => {
    const error = await createPostgresStorage({ url: `postgres://postgres@127.0.0.1:${await closedPort()}/postgres` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailable);
    expect((error as StorageUnavailable).status).toBe(503);
    expect((error as StorageUnavailable).fault).toBe('cannot_open');
  });

  it('a write commits when fn resolves, and rolls back whole when it throws', async () => {
    const kept = ticketRecord();
    await storage.write(async (s) => as(s).tickets.insert(kept));
    const dropped = ticketRecord();
    await expect(
      storage.write(async (s) => {
        await as(s).tickets.insert(dropped);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await storage.read(async (s) => {
      expect(await as(s).tickets.get(kept.id)).toEqual(kept);
      expect(await as(s).tickets.get(dropped.id)).toBeUndefined();
    });
  });

  it('a read is one snapshot and cannot write', async () => {
    const ticket = ticketRecord();
    await storage.write(async (s) => as(s).tickets.insert(ticket));
    await storage.read(async (s) => {
      const before = await as(s).tickets.get(ticket.id);
      await storage.write(async (w) => as(w).tickets.update(ticket.id, { subject: 'changed meanwhile' }, ticket.createdAt + 1));
      expect(await as(s).tickets.get(ticket.id)).toEqual(before);
    });
    await expect(storage.read(async (s) => as(s).tickets.insert(ticketRecord()))).rejects.toThrow();
  });

  it('a serialization failure or deadlock runs fn again; another error does not', async () => {
    let runs = 0;
    const value = await storage.write(async () => {
      runs++;
      if (runs < 3) throw Object.assign(new Error('could not serialize access'), { code: runs === 1 ? '40001' : '40P01' });
      return 'done';
    });
    expect({ value, runs }).toEqual({ value: 'done', runs: 3 });
    runs = 0;
    await expect(
      storage.grouped(async () => {
        runs++;
        throw Object.assign(new Error('check violated'), { code: '23514' });
      }),
    ).rejects.toThrow('check violated');
    expect(runs).toBe(1);
    runs = 0;
    await expect(
      storage.write(async () => {
        runs++;
        throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      }),
    ).rejects.toMatchObject({ name: 'StorageUnavailable', status: 503, fault: 'locked' }); // a 503 with Retry-After, never a 500
    expect(runs).toBe(4);
  });

  /** An audit row after `head` that the table's CHECK refuses (actor_type). */
  const refusedAuditRow = (head: { seq: number; hash: Buffer } | undefined): AuditRow => ({
    seq: (head?.seq ?? 0) + 1, at: 1, action: 'credential.revealed', actor_type: 'nobody', actor_id: null, actor_name: null, ticket_id: null,
    credential_id: null, reason: null, detail: null, ip: null, user_agent: null, prev_hash: Buffer.alloc(32), hash: Buffer.alloc(32, 1),
  });

  it('an audit row sent without waiting that the database refuses › the write fails with its error, found by the next statement or by COMMIT, and nothing commits', async () => {
    for (const thenRead of [true, false]) {
      const ticket = ticketRecord();
      const error = await storage
        .write(async (s) => {
          await as(s).tickets.insert(ticket);
          await as(s).audit.insert(refusedAuditRow(await as(s).audit.head()));
          if (thenRead) await as(s).tickets.get(ticket.id);
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '23514' });
      expect(await storage.read(async (s) => as(s).tickets.get(ticket.id))).toBeUndefined();
    }
  });

  it('a write that may hold a row lock when it finds the audit chain taken › does not wait for it: it runs again with the chain taken first', async () => {
    const { release, done: holder } = await holdAuditChain(storage);
    const ticket = ticketRecord();
    const runs: string[] = [];
    const waiter = storage.write(async (s) => {
      runs.push('run');
      await as(s).tickets.insert(ticket);
      await as(s).audit.head();
      runs.push('holds the chain');
    });
    await sleep(100);
    const whileHeld = [...runs];
    release();
    await Promise.all([holder, waiter]);
    // The second run's statements went out behind its BEGIN and the chain's lock, and waited there.
    expect(whileHeld).toEqual(['run', 'run']);
    expect(runs).toEqual(['run', 'run', 'holds the chain']);
    expect(await storage.read(async (s) => as(s).tickets.get(ticket.id))).toEqual(ticket);
  });

  it('grouped units arriving together › one transaction, their appends in turn: each unit\'s rows follow one another after the head it read', async () => {
    const ticket = ticketRecord();
    await storage.write(async (s) => as(s).tickets.insert(ticket));
    const units = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        storage.grouped(async (s) => {
          await as(s).tickets.get(ticket.id);
          const head = await as(s).audit.head();
          const rows = [1, 2].map((n) => ({ ...refusedAuditRow(head), seq: (head?.seq ?? 0) + n, actor_type: 'system', actor_id: `unit-${i}` }));
          for (const row of rows) await as(s).audit.insert(row);
          return rows.map((r) => r.seq);
        }),
      ),
    );
    const seqs = units.flat();
    expect(new Set(seqs).size).toBe(12);
    for (const unit of units) expect(unit[1]).toBe(unit[0]! + 1);
    const xmins = await storage.pool.query<{ xmin: string }>('SELECT DISTINCT xmin::text FROM audit_events WHERE seq = ANY($1::bigint[])', [seqs]);
    expect(xmins.rows).toHaveLength(1);
  });

  it('two instances inserting one webhook event id at once › the loser is run again and sees the event as known', async () => {
    const other = await createPostgresStorage({ url: db.url });
    try {
      const record = { source: 'zendesk', eventId: 'evt-1', event: 'ticket.closed', externalRef: 'ZD-1', result: 'applied' as const, receivedAt: 1 };
      let bothChecked!: () => void;
      const checked = new Promise<void>((resolve) => (bothChecked = resolve));
      let checks = 0;
      const deliver = (on: PostgresStorage) =>
        on.write(async (s) => {
          const known = await as(s).webhookEvents.has(record.source, record.eventId);
          if (++checks === 2) bothChecked();
          await checked;
          if (known) return 'duplicate';
          await as(s).webhookEvents.insert(record);
          return 'applied';
        });
      const results = await Promise.all([deliver(storage), deliver(other)]);
      expect(results.sort()).toEqual(['applied', 'duplicate']);
      expect(await storage.read(async (s) => as(s).webhookEvents.has('zendesk', 'evt-1'))).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('when the server ends the connection mid-transaction › the write fails with StorageUnavailable and the next one works', async () => {
    const lost = ticketRecord();
    const error = await storage
      .write(async (s) => {
        await as(s).tickets.insert(lost);
        const pid = (await storage.pool.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
        )).rows[0]!.pid;
        await storage.pool.query('SELECT pg_terminate_backend($1)', [pid]);
        await as(s).tickets.get(lost.id);
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailable);
    expect((error as StorageUnavailable).fault).toBe('cannot_open');
    await storage.write(async (s) => as(s).tickets.insert(ticketRecord()));
    expect(await storage.read(async (s) => as(s).tickets.get(lost.id))).toBeUndefined();
  });

  it('ping answers true while the server answers, false once closed', async () => {
    expect(await storage.ping()).toBe(true);
    const other = await createPostgresStorage({ url: db.url });
    await other.close();
    expect(await other.ping()).toBe(false);
  });

  it('afterDestroy and afterPurgePass vacuum the secrets table without failing', async () => {
    const { credentials } = await storage.write(async (s) => arrangeCredentials(as(s), 2, { status: 'revoked', endedBecause: 'revoked', endedAt: 1 }));
    const purged = await storage.write(async (s) => as(s).credentials.purgeEnded(2, 10));
    expect(purged.map((p) => p.id).sort()).toEqual(credentials.map((c) => c.id).sort());
    await storage.afterPurgePass(purged.length);
    await storage.afterDestroy();
    const vacuumed = await storage.pool.query<{ at: Date | null }>("SELECT last_vacuum AS at FROM pg_stat_user_tables WHERE relname = 'credential_secrets'");
    expect(vacuumed.rows[0]?.at ?? 'stats not yet flushed').toBeTruthy();
  });
});
