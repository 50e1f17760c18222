import { setTimeout as sleep } from 'node:timers/promises';
import { checkRange, GENESIS, rowHash, canonicalJson, type ChainRow } from '../../src/audit/audit-chain.js';
import type { AuditRow } from '../../src/audit/audit-store.js';
import { initSodium } from '../../src/crypto/sodium.js';
import { createLogger } from '../../src/logger.js';
import { createPostgresStorage, type PostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import type { Stores } from '../../src/storage/storage.js';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { arrangeCredentials, DAY, holdAuditChain, linkRecord, T0, ticketRecord, type PgStores } from './records.js';

// DESIGN "Storage backends and several instances": two storages (two pools, as two instances
// would have) on one database, racing what must happen once.

const as = (stores: Stores) => stores as unknown as PgStores;
const AUDIT_KEY = new Uint8Array(32).fill(7);

describe('several instances on one PostgreSQL', () => {
  let db: TestDatabase;
  let one: PostgresStorage;
  let two: PostgresStorage;
  const instances = () => [one, two];
  beforeAll(async () => {
    await initSodium();
    db = await createTestDatabase({ empty: true });
    one = await createPostgresStorage({ url: db.url, max: 8 });
    two = await createPostgresStorage({ url: db.url, max: 8 });
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close()]);
    await db.drop();
  });

  it('20 submissions racing on a link of maxUses 3 › exactly 3 are counted', async () => {
    const ticket = ticketRecord();
    const link = linkRecord(ticket.id, { maxUses: 3 });
    await one.write(async (s) => {
      await as(s).tickets.insert(ticket);
      await as(s).intakeLinks.insert(link);
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => instances()[i % 2]!.write(async (s) => as(s).intakeLinks.useIfUsable(link.id, T0 + 1))),
    );
    expect(results.filter((r) => r !== null)).toEqual([ticket.supportUntil, ticket.supportUntil, ticket.supportUntil]);
    expect((await one.read(async (s) => as(s).intakeLinks.get(link.id)))!.uses).toBe(3);
  });

  /** What audit.ts's recordMany does: read the head, chain the rows after it, insert them. */
  async function append(stores: PgStores, count: number, tag: string) {
    const head = await stores.audit.head();
    let seq = head?.seq ?? 0;
    let prev = head ? head.hash : GENESIS;
    for (let i = 0; i < count; i++) {
      const row = { seq: ++seq, at: T0, action: 'credential.revealed', actor_type: 'staff', actor_id: tag, actor_name: null, ticket_id: null, credential_id: `${tag}-${i}`, reason: null, detail: null, ip: null, user_agent: null, prev_hash: prev };
      const canonical = canonicalJson([row.seq, row.at, row.action, row.actor_type, row.actor_id, row.actor_name, row.ticket_id, row.credential_id, row.reason, row.detail, row.ip, row.user_agent]);
      const full: AuditRow = { ...row, hash: rowHash(AUDIT_KEY, prev, canonical) };
      // Yield between head and insert, as a reveal awaiting other work would.
      await sleep(1);
      await stores.audit.insert(full);
      prev = full.hash;
    }
  }

  it('appends racing from two instances › one chain: seq 1..N, each row after the one before', async () => {
    const units = Array.from({ length: 60 }, (_, i) => ({ on: instances()[i % 2]!, count: 1 + (i % 3), tag: `u${i}` }));
    await Promise.all(units.map((u) => u.on.grouped(async (s) => append(as(s), u.count, u.tag))));
    const total = units.reduce((n, u) => n + u.count, 0);
    const rows: ChainRow[] = [];
    await one.read(async (s) => {
      for await (const row of as(s).audit.iterateChain(1, Number.MAX_SAFE_INTEGER)) rows.push(row);
    });
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const check = checkRange(rows, AUDIT_KEY, 1, GENESIS);
    expect(check.bad).toBeUndefined();
    expect(check.count).toBe(total);
    // Each unit's rows are consecutive: no other instance's row came between its head read and commit.
    const bySeq = new Map<number, string>();
    await one.read(async (s) => {
      for await (const r of as(s).audit.iterate()) bySeq.set(r.seq, r.actor_id!);
    });
    for (const u of units) {
      const seqs = [...bySeq].filter(([, tag]) => tag === u.tag).map(([seq]) => seq);
      expect(seqs.length).toBe(u.count);
      expect(seqs[seqs.length - 1]! - seqs[0]!).toBe(u.count - 1);
    }
  });

  it('grouped link uses racing writes that lock a link and then append, from two instances › no deadlock, each use counted once, one chain', async () => {
    // The bench seeding's pattern that deadlocked (decision 020): several submissions per link
    // arriving together on both instances, each locking its link's row and then appending; here
    // also plain writes doing the same, which meet the chain already taken while holding the row.
    const logged: { code?: string; msg: string }[] = [];
    const log = createLogger('debug', { write: (line: string) => void logged.push(JSON.parse(line) as { code?: string; msg: string }) });
    const [a, b] = await Promise.all([createPostgresStorage({ url: db.url, max: 8, log }), createPostgresStorage({ url: db.url, max: 8, log })]);
    try {
      const ticket = ticketRecord();
      const links = Array.from({ length: 8 }, () => linkRecord(ticket.id, { maxUses: null }));
      await a.write(async (s) => {
        await as(s).tickets.insert(ticket);
        for (const link of links) await as(s).intakeLinks.insert(link);
      });
      const before = await a.read(async (s) => as(s).audit.maxSeq());
      const units = Array.from({ length: 96 }, (_, i) => ({ on: i % 2 ? b : a, link: links[Math.floor(i / 3) % links.length]!, plain: i % 5 === 0, tag: `g${i}` }));
      const results = await Promise.all(
        units.map((u) =>
          (u.plain ? u.on.write.bind(u.on) : u.on.grouped.bind(u.on))(async (s: Stores) => {
            const supportUntil = await as(s).intakeLinks.useIfUsable(u.link.id, T0 + 1);
            await append(as(s), 1, u.tag);
            return supportUntil;
          }),
        ),
      );
      expect(results.every((r) => r === ticket.supportUntil)).toBe(true);
      for (const link of links) {
        const uses = (await a.read(async (s) => as(s).intakeLinks.get(link.id)))!.uses;
        expect(uses).toBe(units.filter((u) => u.link === link).length);
      }
      const rows: ChainRow[] = [];
      await a.read(async (s) => {
        for await (const row of as(s).audit.iterateChain(before + 1, Number.MAX_SAFE_INTEGER)) rows.push(row);
      });
      expect(rows.map((r) => r[0])).toEqual(units.map((_, i) => before + i + 1));
      rows.slice(1).forEach((row, i) => expect(row[2]).toEqual(rows[i]![3]));
      expect(logged.filter((l) => l.code === '40P01' || l.code === '40001')).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('while one instance holds the chain (head read, not committed) › the other appends after it, and reads do not wait', async () => {
    const { release, done: first } = await holdAuditChain(one, (s) => append(s, 1, 'holder'));
    const order: string[] = [];
    const second = two.write(async (s) => append(as(s), 1, 'waiter')).then(() => order.push('waiter committed'));
    const head = await two.read(async (s) => as(s).audit.head());
    order.push('read answered');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const whileHeld = [...order];
    release();
    await Promise.allSettled([first, second]);
    expect(whileHeld).toEqual(['read answered']);
    await Promise.all([first, second]);
    const last = await one.read(async (s) => as(s).audit.query({ limit: 2 }));
    expect(last.map((r) => r.actor_id)).toEqual(['waiter', 'holder']);
    expect(last[0]!.prev_hash).toEqual(last[1]!.hash);
    expect(last[1]!.seq).toBe((head?.seq ?? 0) + 1);
  });

  it('due notices claimed by two instances at once › each is handed out once', async () => {
    const { credentials } = await one.write(async (s) => arrangeCredentials(as(s), 40));
    await one.write(async (s) => {
      for (const c of credentials) await as(s).noticeOutbox.queueSubmissionNotice({ ticketId: c.ticketId, credentialId: c.id, receiptId: c.receiptId, at: T0 });
    });
    const claimed: number[] = [];
    // The sender's claim: list due rows and lease them, in one transaction held a while.
    const claimUntilEmpty = async (on: PostgresStorage) => {
      for (;;) {
        const ids = await on.write(async (s) => {
          const rows = await as(s).noticeOutbox.listDue(T0 + 1, 3);
          await sleep(5);
          await as(s).noticeOutbox.postpone(rows.map((r) => r.id), T0 + DAY);
          return rows.map((r) => r.id);
        });
        if (ids.length === 0) return;
        claimed.push(...ids);
      }
    };
    await Promise.all([claimUntilEmpty(one), claimUntilEmpty(two), claimUntilEmpty(one), claimUntilEmpty(two)]);
    expect(claimed.length).toBe(40);
    expect(new Set(claimed).size).toBe(40);
  });

  it('two instances purging at once › each credential is expired and purged once, its secret gone', async () => {
    const due = await one.write(async (s) => arrangeCredentials(as(s), 60, { expiresAt: T0 + DAY }));
    const ended = await one.write(async (s) => arrangeCredentials(as(s), 60, { status: 'withdrawn', endedBecause: 'withdrawn', endedAt: T0 }));
    const expired: string[] = [];
    const purged: string[] = [];
    const purgeUntilDone = async (on: PostgresStorage) => {
      for (;;) {
        const n = await on.write(async (s) => {
          const a = await as(s).credentials.expireAndPurgeDue(T0 + 2 * DAY, 7);
          await sleep(5);
          const b = await as(s).credentials.purgeEnded(T0 + 2 * DAY, 7);
          expired.push(...a.map((c) => c.id));
          purged.push(...b.map((c) => c.id));
          return a.length + b.length;
        });
        if (n === 0) return;
      }
    };
    await Promise.all([purgeUntilDone(one), purgeUntilDone(two), purgeUntilDone(one), purgeUntilDone(two)]);
    expect(expired.sort()).toEqual(due.credentials.map((c) => c.id).sort());
    expect(purged.sort()).toEqual(ended.credentials.map((c) => c.id).sort());
    const ids = [...expired, ...purged];
    const left = await one.pool.query('SELECT COUNT(*) AS n FROM credential_secrets WHERE credential_id = ANY($1::text[])', [ids]);
    expect(left.rows[0].n).toBe(0);
    const statuses = await one.pool.query<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM credentials WHERE id = ANY($1::text[]) GROUP BY status', [ids]);
    expect(statuses.rows).toEqual([{ status: 'purged', n: 120 }]);
  });
});
