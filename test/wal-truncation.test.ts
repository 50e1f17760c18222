import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { jest } from '@jest/globals';
import { JOURNAL_SIZE_LIMIT_BYTES } from '../src/storage/sqlite/database.js';
import { canary, createTestVault, openTicketWithLink, placesHolding, submitCredential, waitFor, type Submitted, type TestVault } from './harness/test-vault.js';

// DESIGN.md "Security rules": after destroying key material the vault checks the checkpoint's
// result and retries until the WAL holds no destroyed page; a reader holding a snapshot (a
// backup, an audit export, a verify worker) only delays it.

jest.setTimeout(30_000);

interface SecretColumns {
  wrapped_dek: Buffer;
  ciphertext: Buffer;
}

const secretColumns = (tv: TestVault, credentialId: string) =>
  tv.db.prepare('SELECT wrapped_dek, ciphertext FROM credential_secrets WHERE credential_id = ?').get(credentialId) as SecretColumns;

const walSize = (tv: TestVault) => {
  const wal = `${tv.vault.config.databasePath}-wal`;
  return fs.existsSync(wal) ? fs.statSync(wal).size : 0;
};

/** Where any of the destroyed bytes still are, on disk or in the logs. */
const holders = (tv: TestVault, secret: SecretColumns) => [...placesHolding(tv, secret.wrapped_dek), ...placesHolding(tv, secret.ciphertext)];

const DESTROYING_WRITES: [string, (tv: TestVault, s: Submitted) => Promise<unknown>][] = [
  ['a withdrawal', (tv, s) => tv.http.delete(`/api/v1/receipts/${s.receiptToken}/credentials/${s.credentialId}`).expect(204)],
  [
    'a rectification',
    (tv, s) => tv.http.put(`/api/v1/receipts/${s.receiptToken}/credentials/${s.credentialId}`).send({ fields: { host: 'h', username: 'u', password: 'new' } }).expect(200),
  ],
  [
    'a revocation, then the purge job',
    async (tv, s) => {
      await tv.http.delete(`/api/v1/credentials/${s.credentialId}`).set(tv.auth()).expect(204);
      expect(await tv.vault.purge.runPurge()).toMatchObject({ purged: 1 });
    },
  ],
];

describe('the WAL after key material is destroyed', () => {
  let tv: TestVault;
  let reader: BetterSqlite3.Database | null = null;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(async () => {
    reader?.close();
    reader = null;
    await tv.close();
  });

  it('is bounded by journal_size_limit', () => {
    expect(tv.vaultDb.pragma('journal_size_limit', { simple: true })).toBe(JOURNAL_SIZE_LIMIT_BYTES);
  });

  describe.each(DESTROYING_WRITES)('by %s while another connection holds a read snapshot', (_name, destroy) => {
    it('keeps the destroyed bytes only while the reader holds, then truncates without another request', async () => {
      const { linkToken } = await openTicketWithLink(tv);
      const submitted = await submitCredential(tv, linkToken, { kind: 'ftp', fields: { host: 'h', username: 'u', password: canary() } });
      const destroyed = secretColumns(tv, submitted.credentialId);
      expect(holders(tv, destroyed)).not.toEqual([]);

      reader = new BetterSqlite3(tv.vault.config.databasePath, { readonly: true });
      reader.exec('BEGIN');
      reader.prepare('SELECT COUNT(*) FROM credentials').get(); // the snapshot is taken at the first read

      const started = Date.now();
      await destroy(tv, submitted);
      // Not held for the busy timeout (5 s) waiting on the reader: the check does not wait, it retries.
      expect(Date.now() - started).toBeLessThan(4000);
      expect(holders(tv, destroyed)).not.toEqual([]); // the reader's snapshot still needs those frames
      expect(tv.vault.walTruncation.pending()).toBe(true);
      expect(await tv.vault.metrics.registry.getSingleMetricAsString('ticketvault_wal_truncation_pending')).toContain('ticketvault_wal_truncation_pending 1');

      reader.exec('COMMIT');
      await waitFor(() => holders(tv, destroyed).length === 0 && walSize(tv) === 0, 'the WAL to be truncated once the reader let go', 10_000);
      expect(tv.vault.walTruncation.pending()).toBe(false);
      expect(await tv.vault.walTruncation.settle(1000)).toBe(true);
    });
  });

  it('is truncated at once when no reader holds a snapshot', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const submitted = await submitCredential(tv, linkToken);
    const destroyed = secretColumns(tv, submitted.credentialId);
    await tv.http.delete(`/api/v1/receipts/${submitted.receiptToken}/credentials/${submitted.credentialId}`).expect(204);
    expect(walSize(tv)).toBe(0);
    expect(holders(tv, destroyed)).toEqual([]);
    expect(tv.vault.walTruncation.pending()).toBe(false);
  });
});

describe('the purge pass and the WAL', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  it('leaves the WAL alone when nothing was destroyed and no other process wrote (a busy server pays no checkpoint per pass)', async () => {
    await tv.vault.purge.runPurge(); // the first pass cannot know what came before it
    const { linkToken } = await openTicketWithLink(tv);
    await submitCredential(tv, linkToken);
    const before = walSize(tv);
    expect(before).toBeGreaterThan(0);
    expect(await tv.vault.purge.runPurge()).toMatchObject({ expired: 0, purged: 0 });
    expect(walSize(tv)).toBe(before);
  });

  it('truncates when another process destroyed key material and left the WAL holding it', async () => {
    await tv.vault.purge.runPurge();
    const { linkToken } = await openTicketWithLink(tv);
    const submitted = await submitCredential(tv, linkToken);
    const destroyed = secretColumns(tv, submitted.credentialId);
    // Another connection (a CLI in another process) deletes the secret and does not checkpoint.
    const other = new BetterSqlite3(tv.vault.config.databasePath);
    try {
      other.pragma('wal_autocheckpoint = 0');
      other.pragma('secure_delete = ON');
      other.prepare('DELETE FROM credential_secrets WHERE credential_id = ?').run(submitted.credentialId);
    } finally {
      other.pragma('wal_autocheckpoint = 1000');
    }
    expect(placesHolding(tv, destroyed.wrapped_dek)).toContain('WAL');
    await tv.vault.purge.runPurge();
    expect(walSize(tv)).toBe(0);
    expect(holders(tv, destroyed)).toEqual([]);
    other.close();
  });
});
