import { jest } from '@jest/globals';
import fs from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { composeVault, type Vault } from '../src/main.js';
import { createPurge } from '../src/purge/purge.js';
import {
  advanceClock,
  auditEvents,
  createTestVault,
  dateFromNow,
  DAY,
  onPostgres,
  openTicketWithLink,
  snapshotVault,
  sqliteOnly,
  submitCredential,
  type TestVault,
} from './harness/test-vault.js';

// DESIGN.md: the purge job expires what is due, then destroys the ciphertext and wrapped data
// key of every ended credential, keeps the metadata and audit trail, and checkpoints the WAL.

// Hundreds of submissions, reveals and purge batches: on PostgreSQL each is its own round trips
// and audit appends queue on one lock (no group commit), ~20 s for the heaviest test.
jest.setTimeout(60_000);

const silent = createLogger('silent');

function purgeOf(vault: Vault, batchSize: number, transactionBudgetMs?: number) {
  return createPurge({ storage: vault.storage, audit: vault.audit, clock: vault.clock, log: silent, batchSize, transactionBudgetMs });
}

const ftp = (n: number | string) => ({ host: `ftp${n}.shop.test`, username: `user-${n}`, password: `CANARY-pw-${n}`, protocol: 'sftp' });

const onPostgresOnly = onPostgres ? it : it.skip;

/** How many times PostgreSQL has VACUUMed the secrets table (by hand, as the purge does). */
const secretVacuums = async (tv: TestVault) =>
  Number((await tv.query("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'credential_secrets'"))[0]!.vacuum_count);

/** Many submissions through the real domain function, sent together so they share commits and arranging stays fast. */
async function seedCredentials(tv: TestVault, linkToken: string, count: number, prefix: string): Promise<string[]> {
  const submitted = await Promise.all(
    Array.from({ length: count }, (_, i) => tv.vault.credentials.submitCredential(linkToken, { kind: 'ftp', label: `${prefix} ${i}`, fields: ftp(`${prefix}-${i}`) })),
  );
  return submitted.map((s) => s.credentialId);
}

/** How many of `ids` still have a stored secret, read through the storage port (either backend). */
const secretCount = async (tv: TestVault, ids: string[]) =>
  (await tv.vault.storage.read(async (s) => Promise.all(ids.map((id) => s.credentials.getSecret(id))))).filter((secret) => secret !== undefined).length;

describe('purge job', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault({ CREDENTIAL_MAX_AGE_SECONDS: String(30 * 24 * 3600) });
  });
  afterEach(() => tv.close());

  async function arrangeMixedLifecycles() {
    const shortSupport = await openTicketWithLink(tv, { supportUntil: dateFromNow(tv, 0) });
    const due = await seedCredentials(tv, shortSupport.linkToken, 5, 'due');

    const longSupport = await openTicketWithLink(tv, { supportUntil: new Date(tv.clock.now() + 365 * DAY).toISOString() });
    const [revoked, ...live] = await seedCredentials(tv, longSupport.linkToken, 4, 'long');
    const restricted = await submitCredential(tv, longSupport.linkToken);
    await tv.http.delete(`/api/v1/credentials/${revoked}`).set(tv.auth()).expect(204);
    await tv.http.post(`/api/v1/receipts/${restricted.receiptToken}/credentials/${restricted.credentialId}/restrict`).expect(200);

    const closing = await openTicketWithLink(tv);
    const closed = await seedCredentials(tv, closing.linkToken, 3, 'closed');
    await tv.http.post(`/api/v1/tickets/${closing.ticketId}/close`).set(tv.auth()).expect(200);

    await advanceClock(tv, DAY);
    return { due, revoked: revoked!, closed, live: [...live, restricted.credentialId] };
  }

  it('expires due credentials, then destroys the secrets of every ended one in batches, keeping endedBecause', async () => {
    const { due, revoked, closed, live } = await arrangeMixedLifecycles();

    const summary = await purgeOf(tv.vault, 2).runPurge();

    expect(summary).toMatchObject({ expired: 5, purged: 9 });
    const credentials = await tv.vault.storage.read(async (s) => new Map(await Promise.all([...due, revoked, ...closed, ...live].map(async (id) => [id, { record: await s.credentials.get(id), secret: await s.credentials.getSecret(id) }] as const))));
    const ended: Array<[string, string]> = [...due.map((id) => [id, 'expired'] as [string, string]), [revoked, 'revoked'], ...closed.map((id) => [id, 'ticket_closed'] as [string, string])];
    for (const [id, because] of ended) {
      expect(credentials.get(id)!.record).toMatchObject({ status: 'purged', endedBecause: because, purgedAt: tv.clock.now() });
      expect(credentials.get(id)!.secret).toBeUndefined();
      const purged = await auditEvents(tv, { credentialId: id, action: 'credential.purged' });
      expect(purged).toEqual([expect.objectContaining({ detail: because, actor: { type: 'system', id: null, name: 'ticketvault' } })]);
    }
    // Expired and destroyed in one step: the one credential.purged row above says both (decision 021).
    for (const id of due) expect(await auditEvents(tv, { credentialId: id, action: 'credential.expired' })).toEqual([]);
    // Ended by the ticket's close: credential.expired was written then, and the purge added credential.purged.
    for (const id of closed) expect(await auditEvents(tv, { credentialId: id, action: 'credential.expired' })).toEqual([expect.objectContaining({ detail: 'ticket_closed' })]);
    // Live credentials keep their status and their secret.
    expect(live.map((id) => credentials.get(id)!.record!.status)).toEqual(['active', 'active', 'active', 'restricted']);
    expect(await secretCount(tv, live)).toBe(live.length);
    expect((await tv.vault.audit.verifyChain()).ok).toBe(true);
  });

  it('metadata keeps showing why a purged credential ended', async () => {
    const { due } = await arrangeMixedLifecycles();
    await tv.vault.purge.runPurge();
    const meta = await tv.http.get(`/api/v1/credentials/${due[0]}`).set(tv.auth()).expect(200);
    expect(meta.body).toMatchObject({ status: 'purged', endedBecause: 'expired', purgedAt: new Date(tv.clock.now()).toISOString() });
    expect(meta.body.endedAt).toBe(new Date(tv.clock.now()).toISOString());
  });

  // The SQLite file and its WAL, byte-scanned; PostgreSQL's shredding (delete, then VACUUM) is the twin below.
  sqliteOnly.it('checkpoints the WAL so no byte of a destroyed ciphertext stays on disk', async () => {
    const { linkToken, ticketId } = await openTicketWithLink(tv);
    const ids = await seedCredentials(tv, linkToken, 20, 'shred');
    const ciphertexts = ids.map((id) => Buffer.from(tv.stores.credentials.getSecret(id)!.ciphertext));
    await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);

    expect(await purgeOf(tv.vault, 7).runPurge()).toMatchObject({ expired: 0, purged: 20 });

    const file = tv.vault.config.databasePath;
    const wal = fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0);
    expect(wal.length).toBe(0);
    const onDisk = fs.readFileSync(file);
    for (const ciphertext of ciphertexts) expect(onDisk.includes(ciphertext.subarray(0, 32))).toBe(false);
  });

  onPostgresOnly('deletes every destroyed secret row and VACUUMs the secrets table', async () => {
    const { linkToken, ticketId } = await openTicketWithLink(tv);
    const ids = await seedCredentials(tv, linkToken, 20, 'shred');
    await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
    const vacuumsBefore = await secretVacuums(tv);

    expect(await purgeOf(tv.vault, 7).runPurge()).toMatchObject({ expired: 0, purged: 20 });

    expect(await tv.query('SELECT COUNT(*) AS n FROM credential_secrets')).toEqual([{ n: 0 }]);
    expect(await secretVacuums(tv)).toBeGreaterThan(vacuumsBefore);
    expect(await secretCount(tv, ids)).toBe(0);
  });

  it('a second run does nothing', async () => {
    await arrangeMixedLifecycles();
    const purge = purgeOf(tv.vault, 2);
    await purge.runPurge();
    const head = (await tv.vault.audit.verifyChain()).headSeq;

    expect(await purge.runPurge()).toMatchObject({ expired: 0, purged: 0 });
    expect((await tv.vault.audit.verifyChain()).headSeq).toBe(head);
  });

  it('overlapping runs in one process share one pass', async () => {
    const { linkToken, ticketId } = await openTicketWithLink(tv);
    const ids = await seedCredentials(tv, linkToken, 12, 'overlap');
    await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
    const purge = purgeOf(tv.vault, 3);

    const [a, b] = await Promise.all([purge.runPurge(), purge.runPurge()]);
    expect(a).toEqual(b);
    expect(a.purged).toBe(12);
    for (const id of ids) expect(await auditEvents(tv, { credentialId: id, action: 'credential.purged' })).toHaveLength(1);
  });

  it('two vaults purging the same database file at once expire and purge each credential exactly once', async () => {
    const { linkToken } = await openTicketWithLink(tv, { supportUntil: dateFromNow(tv, 0) });
    const ids = await seedCredentials(tv, linkToken, 40, 'race');
    await advanceClock(tv, DAY);
    const other = await composeVault(tv.vault.config, { clock: tv.clock, log: silent, warn: () => {} });
    try {
      const [a, b] = await Promise.all([purgeOf(tv.vault, 3).runPurge(), purgeOf(other, 3).runPurge()]);

      expect(a.expired + b.expired).toBe(40);
      expect(a.purged + b.purged).toBe(40);
      for (const id of ids) {
        expect(await tv.vault.storage.read((s) => s.credentials.get(id))).toMatchObject({ status: 'purged', endedBecause: 'expired' });
        expect(await auditEvents(tv, { credentialId: id, action: 'credential.purged' })).toEqual([expect.objectContaining({ detail: 'expired' })]);
      }
      expect(await secretCount(tv, ids)).toBe(0);
      expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: true });
    } finally {
      await other.close();
    }
  });

  describe('transactions of a pass', () => {
    /** The vault's storage, counting the write transactions it is asked for. */
    function countingWrites(vault: Vault) {
      const counted = { storage: { ...vault.storage }, writes: 0 };
      counted.storage.write = (fn) => {
        counted.writes++;
        return vault.storage.write(fn);
      };
      return counted;
    }

    async function arrangeDue(count: number) {
      const { linkToken } = await openTicketWithLink(tv, { supportUntil: dateFromNow(tv, 0) });
      const ids = await seedCredentials(tv, linkToken, count, 'due');
      await advanceClock(tv, DAY);
      return ids;
    }

    it.each([
      ['no time at all: one batch per transaction', 0, 4],
      ['a minute: every batch in one transaction', 60_000, 1],
    ])('with a budget of %s, every due credential is destroyed', async (_budget, transactionBudgetMs, transactions) => {
      const ids = await arrangeDue(10);
      const counted = countingWrites(tv.vault);
      const purge = createPurge({ storage: counted.storage, audit: tv.vault.audit, clock: tv.clock, log: silent, batchSize: 3, transactionBudgetMs });

      expect(await purge.runPurge()).toMatchObject({ expired: 10, purged: 10 });

      expect(counted.writes).toBe(transactions);
      expect(await secretCount(tv, ids)).toBe(0);
      const rows = await tv.query("SELECT credential_id FROM notice_outbox WHERE kind = 'destruction' ORDER BY id");
      expect(rows.map((r) => r.credential_id).sort()).toEqual([...ids].sort());
      expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: true });
    });

    it('a failure late in a transaction leaves every credential of it live, with its secret, and queues no destruction receipt', async () => {
      const ids = await arrangeDue(10);
      const before = await snapshotVault(tv);
      let calls = 0;
      const failing = { ...tv.vault.audit, recordMany: (...args: Parameters<Vault['audit']['recordMany']>) => (++calls === 3 ? Promise.reject(new Error('injected')) : tv.vault.audit.recordMany(...args)) };
      const purge = createPurge({ storage: tv.vault.storage, audit: failing, clock: tv.clock, log: silent, batchSize: 3, transactionBudgetMs: 60_000 });

      await expect(purge.runPurge()).rejects.toThrow('injected');

      expect(await snapshotVault(tv)).toEqual(before);
      expect(await tv.query("SELECT id FROM notice_outbox WHERE kind = 'destruction'")).toEqual([]);
      expect(await purgeOf(tv.vault, 3).runPurge()).toMatchObject({ expired: 10, purged: 10 });
      expect(await secretCount(tv, ids)).toBe(0);
    });
  });

  describe.each([
    ['by the serving vault itself', false],
    ['by another vault on the same database file', true],
  ])('while a purge of many ended credentials runs %s', (_how, separateVault) => {
    const LIVE = 6;
    const ENDED = 300;
    let server: Server;
    let other: Vault | undefined;

    afterEach(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await other?.close();
      other = undefined;
    });

    it('concurrent reveals answer 200 with the exact fields or a documented 410, never partial data or a 5xx', async () => {
      const live = await openTicketWithLink(tv);
      const liveIds = await seedCredentials(tv, live.linkToken, LIVE, 'live');
      const doomed = await openTicketWithLink(tv);
      const doomedIds = await seedCredentials(tv, doomed.linkToken, ENDED, 'doomed');
      await tv.http.post(`/api/v1/tickets/${doomed.ticketId}/close`).set(tv.auth()).expect(200);
      // Only live credentials may ever reveal: every doomed one sits on a closed ticket, so by
      // DESIGN.md "Reveal answers" it answers 410 ticket_closed before, during and after its purge.
      const expected = new Map<string, { id: string; kind: string; label: string; fields: unknown; files: unknown[] }>(
        liveIds.map((id, i) => [id, { id, kind: 'ftp', label: `live ${i}`, fields: ftp(`live-${i}`), files: [] }]),
      );
      const doomedSet = new Set(doomedIds);

      server = buildApp(tv.vault).listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (separateVault) other = await composeVault(tv.vault.config, { clock: tv.clock, log: silent, warn: () => {} });

      let purgeDone = false;
      // One batch per transaction: many commits for the reveals to run between.
      const purging = purgeOf(other ?? tv.vault, 10, 0)
        .runPurge()
        .finally(() => {
          purgeDone = true;
        });

      const answers: Array<{ id: string; status: number; body: Record<string, unknown>; duringPurge: boolean }> = [];
      let n = 0;
      const worker = async () => {
        // Bounded: stop once the purge has finished and enough reveals were seen, or at a hard cap.
        while ((!purgeDone || answers.length < 200) && answers.length < 3000) {
          const i = n++;
          const id = i % 4 === 3 ? doomedIds[(i * 7) % ENDED]! : liveIds[i % LIVE]!;
          const res = await fetch(`${base}/api/v1/credentials/${id}/reveal`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tv.tokens.engineer}` },
            body: JSON.stringify({ reason: 'load during purge' }),
          });
          answers.push({ id, status: res.status, body: JSON.parse(await res.text()) as Record<string, unknown>, duringPurge: !purgeDone });
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      const summary = await purging;

      expect(summary).toMatchObject({ expired: 0, purged: ENDED });
      expect(answers.filter((a) => a.duringPurge).length).toBeGreaterThan(0);
      const unexpected = answers.filter((a) => {
        if (doomedSet.has(a.id)) return !(a.status === 410 && a.body.code === 'ticket_closed');
        return !(a.status === 200 && expected.has(a.id) && isDeepStrictEqual(a.body, expected.get(a.id)));
      });
      expect(unexpected).toEqual([]);
      expect(answers.filter((a) => doomedSet.has(a.id)).length).toBeGreaterThan(0);
      expect(answers.filter((a) => liveIds.includes(a.id)).every((a) => a.status === 200)).toBe(true);
      expect(await secretCount(tv, doomedIds)).toBe(0);
      expect(await secretCount(tv, liveIds)).toBe(LIVE);
      expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: true });
    });
  });
});
