import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { jest } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/main.js';
import { canChattr, canMountTmpfs, fillFileSystem, holdWriteLock, mountTmpfs, setImmutable, unmountTmpfs } from './harness/storage-faults.js';
import { signIn } from './harness/staff-sessions.js';
import {
  auditEvents,
  createTestVault,
  DAY,
  expectProblem,
  FTP_FIELDS,
  openTicketWithLink,
  revealAs,
  snapshotVault,
  submitCredential,
  TestClock,
  type TestVault,
  waitFor,
} from './harness/test-vault.js';

// DESIGN.md "Faults": storage that cannot write, or stays locked past the busy timeout (5 s),
// answers 503 storage_unavailable with Retry-After within 6 s, never 500; a reveal answers 503
// audit_unavailable with no secret; nothing partial is left; service resumes without a restart.

jest.setTimeout(60_000);

/** Generous: the busy timeout is 5 s; a slow machine adds to it, a second busy wait would double it. */
const ANSWER_BOUND_MS = 6500;

const submission = (notes = 'see ticket') => ({ kind: 'ftp', label: 'Shop FTP', fields: { ...FTP_FIELDS, notes } });

function expectStorageUnavailable(res: { status: number; headers: Record<string, string>; body: unknown }, code = 'storage_unavailable') {
  expectProblem(res, 503, code);
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(JSON.stringify(res.body)).not.toMatch(/SQLITE|disk|locked|database/i);
}

/** A reveal refused for a fault: 503 audit_unavailable with Retry-After, no field, no `credential.revealed` row. */
async function expectRevealRefused(tv: TestVault, credentialId: string) {
  const res = await revealAs(tv, credentialId);
  expectStorageUnavailable(res, 'audit_unavailable');
  expect(JSON.stringify(res.body)).not.toContain(FTP_FIELDS.password);
  expect(await auditEvents(tv, { credentialId, action: 'credential.revealed' })).toEqual([]);
}

/** The service works again without a restart: a submission is stored and revealed exactly. */
async function expectServiceResumed(tv: TestVault, linkToken: string) {
  const { credentialId } = await submitCredential(tv, linkToken);
  const revealed = await revealAs(tv, credentialId).expect(200);
  expect(revealed.body.fields).toEqual({ ...FTP_FIELDS, protocol: 'sftp' });
}

describe('a database another process keeps locked past the busy timeout', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  it('answers twenty concurrent submissions 503 storage_unavailable with Retry-After, each within one busy timeout, stores nothing, and takes the next one once released', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const before = await snapshotVault(tv);
    const server = tv.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/intake/${linkToken}/credentials`;
    const lock = await holdWriteLock(tv.vault.config.databasePath);
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const started = Date.now();
          const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(submission(`try ${i}`)) });
          const body = (await res.json()) as unknown;
          return { status: res.status, headers: Object.fromEntries(res.headers), body, ms: Date.now() - started };
        }),
      );
      for (const answer of answers) expectStorageUnavailable(answer);
      expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(ANSWER_BOUND_MS);
      expect(await snapshotVault(tv)).toEqual(before); // readers are not blocked by the lock
    } finally {
      await lock.release();
      server.close();
    }
    await expectServiceResumed(tv, linkToken);
  });

  it('refuses a reveal with 503 audit_unavailable and Retry-After, and reveals once the lock is released', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken);
    const lock = await holdWriteLock(tv.vault.config.databasePath);
    try {
      const started = Date.now();
      await expectRevealRefused(tv, credentialId);
      expect(Date.now() - started).toBeLessThan(ANSWER_BOUND_MS);
      // Within the episode further writes fail at once instead of waiting the busy timeout again.
      const again = Date.now();
      await expectRevealRefused(tv, credentialId);
      expect(Date.now() - again).toBeLessThan(ANSWER_BOUND_MS);
      const text = await tv.vault.metrics.registry.getSingleMetricAsString('ticketvault_storage_failing_fast');
      expect(text).toContain('ticketvault_storage_failing_fast 1');
    } finally {
      await lock.release();
    }
    await revealAs(tv, credentialId).expect(200);
    const text = await tv.vault.metrics.registry.getSingleMetricAsString('ticketvault_storage_faults_total');
    expect(text).toContain('ticketvault_storage_faults_total{kind="locked"}');
    expect(await tv.vault.metrics.registry.getSingleMetricAsString('ticketvault_storage_failing_fast')).toContain('ticketvault_storage_failing_fast 0');
  });

  it('keeps answering reads: the customer pages, the receipt and the ticket', async () => {
    const { ticketId, linkToken } = await openTicketWithLink(tv);
    const { receiptToken } = await submitCredential(tv, linkToken);
    const lock = await holdWriteLock(tv.vault.config.databasePath);
    try {
      await tv.http.get(`/s/${linkToken}`).expect(200);
      await tv.http.get(`/r/${receiptToken}`).expect(200);
      await tv.http.get(`/api/v1/tickets/${ticketId}`).set(tv.auth()).expect(200);
    } finally {
      await lock.release();
    }
  });
});

/** Ways to run out of space: a real small file system when it can be mounted, else SQLite's own page limit. */
const FULL_DISKS = [
  ...(canMountTmpfs() ? [['a small tmpfs filled to the last byte', 'tmpfs'] as const] : []),
  ['PRAGMA max_page_count at the size the file has, its free pages used up', 'max_page_count'] as const,
];
if (!canMountTmpfs()) console.warn('storage-faults.test: mounting a tmpfs was refused; the full disk is simulated with PRAGMA max_page_count only');

describe.each(FULL_DISKS)('a full disk (%s)', (_name, how) => {
  let tv: TestVault;
  let mount: string | null = null;
  let free: () => void = () => {};

  beforeEach(async () => {
    if (how === 'tmpfs') {
      mount = mountTmpfs(8 * 1024 * 1024);
      tv = await createTestVault({ DATABASE_PATH: path.join(mount!, 'ticketvault.db') });
    } else {
      tv = await createTestVault();
    }
  });
  afterEach(async () => {
    free();
    await tv.close();
    if (mount) unmountTmpfs(mount);
    mount = null;
  });

  function fillDisk() {
    if (how === 'tmpfs') {
      free = fillFileSystem(mount!);
      return;
    }
    const db = tv.vaultDb;
    db.exec('CREATE TABLE test_filler (x BLOB)');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const insert = db.prepare('INSERT INTO test_filler VALUES (?)');
    for (let size = 4096; size >= 1; size = Math.floor(size / 2)) {
      try {
        for (;;) insert.run(Buffer.alloc(size));
      } catch {
        // SQLITE_FULL: the next smaller row may still fit
      }
    }
    free = () => {
      db.pragma('max_page_count = 4294967294');
      db.exec('DROP TABLE test_filler');
      free = () => {};
    };
  }

  it('answers a submission 503 storage_unavailable with Retry-After, stores nothing and leaves the link unused, then takes it once space is freed', async () => {
    const { linkToken } = await openTicketWithLink(tv, {}, { maxUses: 1 });
    const before = await snapshotVault(tv);
    fillDisk();
    // A 16 KiB field needs pages of its own, whatever room the last pages had.
    const res = await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send(submission('x'.repeat(16 * 1024)));
    expectStorageUnavailable(res);
    expect(await snapshotVault(tv)).toEqual(before);
    free();
    await expectServiceResumed(tv, linkToken);
  });

  if (how === 'tmpfs') {
    it('refuses a reveal with 503 audit_unavailable and no secret, then reveals once space is freed', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const { credentialId } = await submitCredential(tv, linkToken);
      fillDisk();
      await expectRevealRefused(tv, credentialId);
      free();
      await revealAs(tv, credentialId).expect(200);
    });
  }
});

const readOnly = canChattr() ? describe : describe.skip;
if (!canChattr()) console.warn('storage-faults.test: chattr +i is not available here; the immutable-file case is skipped');

readOnly('a database file made read-only under the running server (chattr +i on the file and its WAL; root ignores modes)', () => {
  let tv: TestVault;
  let files: string[] = [];
  beforeEach(async () => {
    tv = await createTestVault();
    const file = tv.vault.config.databasePath;
    // Never the -shm: it is mapped into memory, and a write to an immutable mapping is a SIGBUS.
    files = [file, `${file}-wal`];
  });
  afterEach(async () => {
    setImmutable(files, false);
    await tv.close();
  });

  it('answers submissions and reveals 503 with Retry-After, changes nothing, and resumes once writable', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken);
    const before = await snapshotVault(tv);
    setImmutable(files, true);
    try {
      expectStorageUnavailable(await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send(submission()));
      await expectRevealRefused(tv, credentialId);
      expect(await snapshotVault(tv)).toEqual(before);
    } finally {
      setImmutable(files, false);
    }
    await expectServiceResumed(tv, linkToken);
  });
});

describe('a connection SQLite holds read-only (PRAGMA query_only: SQLITE_READONLY)', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  it('answers writes 503 with Retry-After and resumes when it is writable again', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken);
    tv.vaultDb.pragma('query_only = 1');
    try {
      expectStorageUnavailable(await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send(submission()));
      await expectRevealRefused(tv, credentialId);
    } finally {
      tv.vaultDb.pragma('query_only = 0');
    }
    await expectServiceResumed(tv, linkToken);
  });

  it('gives the console page whose session renewal cannot be written a 503 page with Retry-After, not a 500 or a sign-out', async () => {
    const cookie = await signIn(tv);
    await tv.http.get('/console/tickets').set('Cookie', cookie).expect(200);
    tv.clock.advance(2 * 60_000); // the next request slides the session: a write
    tv.vaultDb.pragma('query_only = 1');
    try {
      const res = await tv.http.get('/console/tickets').set('Cookie', cookie);
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(res.text).not.toMatch(/SQLITE|readonly/i);
      expect(res.headers['set-cookie']).toBeUndefined(); // the fault does not sign the engineer out
    } finally {
      tv.vaultDb.pragma('query_only = 0');
    }
    await tv.http.get('/console/tickets').set('Cookie', cookie).expect(200);
  });
});

describe('the purge timer and the notice sender of `serve` while another process holds the lock', () => {
  it('count and log the failure, keep the server up, and catch up once the lock is released', async () => {
    // `serve` outside production listens on loopback only, so not behind an https PUBLIC_URL.
    const tv = await createTestVault({ PURGE_INTERVAL_SECONDS: '1', PUBLIC_URL: 'http://vault.example.test' }, { clock: new TestClock(Date.now()) });
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId } = await submitCredential(tv, linkToken);
    await tv.vault.close();
    const logs: string[] = [];
    const log = createLogger('info', new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) }));
    const running = await startServer({ ...tv.vault.config, port: 0 }, { clock: tv.clock, log, noticeIntervalMs: 50, warn: () => {} });
    const statusOf = () => {
      const reader = new BetterSqlite3(tv.vault.config.databasePath, { readonly: true });
      try {
        return (reader.prepare('SELECT status FROM credentials WHERE id = ?').get(credentialId) as { status: string }).status;
      } finally {
        reader.close();
      }
    };
    const logged = (text: string) => logs.some((line) => line.includes(text));
    try {
      const lock = await holdWriteLock(tv.vault.config.databasePath);
      try {
        tv.clock.advance(31 * DAY); // the credential is now due: the next pass expires and destroys it
        await waitFor(() => logged('purge pass failed; retrying at every tick') && logged('notice pass failed; retrying at every tick'), 'both timers to fail', 20_000);
        expect(statusOf()).toBe('active');
      } finally {
        await lock.release();
      }
      await waitFor(() => statusOf() === 'purged', 'the purge timer to catch up', 20_000);
      expect(logged('purge pass works again')).toBe(true);
      expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
    } finally {
      await running.stop();
      await tv.close();
    }
  });
});
