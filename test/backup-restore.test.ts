import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { composeVault } from '../src/main.js';
import { lockDatabaseExclusively } from '../src/storage/sqlite/database-lock.js';
import { buildIfStale, killAndWait, lines, MASTER_KEY, PUBLIC_URL, runCli, startServe } from './harness/cli.js';
import { databaseEnv,
  canary,
  createTestVault,
  expectProblem,
  FTP_FIELDS,
  openTicketWithLink,
  reopenTestVault,
  revealAs,
  submitCredential,
  TestClock,
  type TestVault,
} from './harness/test-vault.js';

// DESIGN.md "Faults": `ticketvault restore <file>` replaces the data with a backup taken by
// `backup`, refuses while a server holds the database, and verifies the audit chain of the
// restored copy before swapping it in. Real processes, real files.

jest.setTimeout(60_000);
beforeAll(buildIfStale, 130_000);

const ANOTHER_MASTER_KEY = Buffer.alloc(32, 9).toString('base64');

/** Every file in the data folder, as bytes: what a thief with the disk (and the key) could read. */
function dataFolderBytes(tv: TestVault): Buffer {
  const dir = path.dirname(tv.vault.config.databasePath);
  return Buffer.concat(fs.readdirSync(dir).map((name) => fs.readFileSync(path.join(dir, name))));
}

const fileBytes = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0));

describe('ticketvault restore <file>', () => {
  let tv: TestVault;
  let env: Record<string, string>;
  let backups: string;
  let backup: string;
  let kept: { credentialId: string; receiptToken: string; password: string };

  /** A vault with one credential, backed up; then a second credential the backup does not hold. */
  beforeEach(async () => {
    // The CLI runs on the real clock (a restore's purge pass expires what is due): so does this vault.
    tv = await createTestVault({}, { clock: new TestClock(Date.now()) });
    env = databaseEnv(tv);
    backups = fs.mkdtempSync(path.join(path.dirname(tv.dir), 'tv-backups-'));
    backup = path.join(backups, 'vault.db');
    const { linkToken } = await openTicketWithLink(tv);
    const password = canary('kept');
    const { credentialId, receiptToken } = await submitCredential(tv, linkToken, { kind: 'ftp', fields: { ...FTP_FIELDS, password } });
    kept = { credentialId, receiptToken, password };
    const r = await runCli(['backup', backup], env);
    expect(r.code).toBe(0);
  });
  afterEach(async () => {
    await tv.close();
    fs.rmSync(backups, { recursive: true, force: true });
  });

  it('is refused while a vault has the database open, then swaps the backup in: the chain verifies, reveals work, later data and the replaced file are gone', async () => {
    const later = canary('later');
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId: laterId } = await submitCredential(tv, linkToken, { kind: 'ftp', fields: { ...FTP_FIELDS, password: later } });
    const live = tv.vault.config.databasePath;

    const refused = await runCli(['restore', backup], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('database_in_use');
    expect(refused.stderr).toContain('stop it first');
    expect(tv.stores.credentials.get(laterId)).toBeDefined(); // untouched

    await tv.vault.close();
    expect(dataFolderBytes(tv).includes(Buffer.from(laterId))).toBe(true); // the marker the scan below looks for
    const restored = await runCli(['restore', backup], env);
    expect(restored.code).toBe(0);
    const summary = JSON.parse(lines(restored.stdout).at(-1)!);
    expect(summary).toMatchObject({ restored: live, from: backup, replaced: 'destroyed', auditEvents: expect.any(Number), headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    // Nothing of the replaced database is left in the data folder: no stale WAL, no copy, not its bytes.
    const dir = path.dirname(live);
    expect(fs.readdirSync(dir).filter((f) => /-wal$|-shm$|partial/.test(f))).toEqual([]);
    expect(dataFolderBytes(tv).includes(Buffer.from(laterId))).toBe(false);
    expect(fs.statSync(live).mode & 0o777).toBe(0o600);

    tv = await reopenTestVault(tv);
    expect(tv.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(await tv.vault.audit.verifyChain()).toMatchObject({ ok: true, count: summary.auditEvents, headHash: summary.headHash });
    const revealed = await revealAs(tv, kept.credentialId).expect(200);
    expect(revealed.body.fields.password).toBe(kept.password);
    await revealAs(tv, laterId).expect(404);
  });

  it('does not bring back what ended after the backup was taken: a withdrawn credential stays withdrawn and destroyed', async () => {
    const fromBackup = new BetterSqlite3(backup, { readonly: true });
    const secret = fromBackup.prepare('SELECT wrapped_dek, ciphertext FROM credential_secrets WHERE credential_id = ?').get(kept.credentialId) as {
      wrapped_dek: Buffer;
      ciphertext: Buffer;
    };
    fromBackup.close();
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId: revokedId } = await submitCredential(tv, linkToken);
    const second = await runCli(['backup', path.join(backups, 'second.db')], env);
    expect(second.code).toBe(0);
    await tv.http.delete(`/api/v1/receipts/${kept.receiptToken}/credentials/${kept.credentialId}`).expect(204);
    await tv.http.delete(`/api/v1/credentials/${revokedId}`).set(tv.auth()).expect(204); // ended, not yet purged
    await tv.vault.close();

    const r = await runCli(['restore', path.join(backups, 'second.db')], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(lines(r.stdout).at(-1)!)).toMatchObject({ endedAgain: 2, purged: 2, replacedRead: true });

    expect(dataFolderBytes(tv).includes(secret.wrapped_dek)).toBe(false);
    expect(dataFolderBytes(tv).includes(secret.ciphertext)).toBe(false);
    tv = await reopenTestVault(tv);
    expectProblem(await revealAs(tv, kept.credentialId), 410, 'credential_withdrawn');
    expectProblem(await revealAs(tv, revokedId), 410, 'credential_revoked');
    expect(tv.stores.credentials.get(kept.credentialId)).toMatchObject({ status: 'purged', endedBecause: 'withdrawn' });
    expect((await tv.vault.audit.verifyChain()).ok).toBe(true);
  });

  it('warns when the database it replaces cannot be read, as what ended since the backup may be live again', async () => {
    await tv.http.delete(`/api/v1/receipts/${kept.receiptToken}/credentials/${kept.credentialId}`).expect(204);
    await tv.vault.close();
    fs.writeFileSync(tv.vault.config.databasePath, Buffer.alloc(64 * 1024, 0x5a)); // damaged beyond reading
    const r = await runCli(['restore', backup], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(lines(r.stdout).at(-1)!)).toMatchObject({ replaced: 'destroyed', replacedRead: false });
    expect(r.stderr).toContain('WARNING');
    expect(r.stderr).toContain('end them again');
  });

  it('is refused with another master key, naming the reason, and changes nothing', async () => {
    await tv.vault.close();
    const before = fileBytes(tv.vault.config.databasePath);
    const r = await runCli(['restore', backup], { ...env, MASTER_KEY: ANOTHER_MASTER_KEY });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('master_key_mismatch');
    expect(r.stderr).toContain('master key');
    expect(fileBytes(tv.vault.config.databasePath).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(tv.vault.config.databasePath)).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('is refused when the backup chain is broken (a row rewritten, its triggers dropped) or does not reach --head', async () => {
    const head = (await tv.vault.audit.verifyChain()).headHash;
    await openTicketWithLink(tv); // later events: the live head moves past the backup's
    const laterHead = (await tv.vault.audit.verifyChain()).headHash;
    await tv.vault.close();
    const before = fileBytes(tv.vault.config.databasePath);

    const short = await runCli(['restore', backup, '--head', laterHead], env);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('audit_chain_broken');

    const raw = new BetterSqlite3(backup);
    raw.exec('DROP TRIGGER audit_events_no_update');
    raw.prepare("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 2").run();
    raw.close();
    const tampered = await runCli(['restore', backup, '--head', head], env);
    expect(tampered.code).not.toBe(0);
    expect(tampered.stderr).toMatch(/audit_chain_broken/);
    expect(tampered.stderr).toMatch(/event 2\b/);
    expect(fileBytes(tv.vault.config.databasePath).equals(before)).toBe(true);
  });

  it.each([
    ['a file that is not a database', (file: string) => fs.writeFileSync(file, 'hello, I am not SQLite\n'.repeat(100))],
    ['a SQLite database of something else', (file: string) => new BetterSqlite3(file).exec('CREATE TABLE notes (x)').close()],
  ])('refuses %s and changes nothing', async (_case, make) => {
    await tv.vault.close();
    const other = path.join(backups, 'other.db');
    make(other);
    const before = fileBytes(tv.vault.config.databasePath);
    const r = await runCli(['restore', other], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('not_a_backup');
    expect(fileBytes(tv.vault.config.databasePath).equals(before)).toBe(true);
  });

  it('is refused while `serve` runs, and not blocked by a server that was killed with -9', async () => {
    await tv.vault.close();
    const server = await startServe(env);
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const refused = await runCli(['restore', backup], env);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('database_in_use');
    } finally {
      await killAndWait(server.child, 'SIGKILL');
    }
    const restored = await runCli(['restore', backup], env);
    expect(restored.code).toBe(0);
    const again = await startServe(env);
    try {
      expect((await fetch(`${again.url}/readyz`)).status).toBe(200);
    } finally {
      await killAndWait(again.child, 'SIGTERM');
    }
  });
});

describe('a vault starting while a restore holds the database', () => {
  it('refuses to open it (restore_in_progress) instead of reading a file about to be replaced', async () => {
    const tv = await createTestVault();
    const databasePath = tv.vault.config.databasePath;
    await tv.vault.close();
    const restoring = lockDatabaseExclusively(databasePath);
    try {
      const config = parseConfig({ NODE_ENV: 'test', DATABASE_PATH: databasePath, MASTER_KEY, PUBLIC_URL });
      await expect(composeVault(config, { log: createLogger('silent') })).rejects.toMatchObject({ code: 'restore_in_progress' });
    } finally {
      restoring.release();
      await tv.close();
    }
  });
});
