import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { buildIfStale, lines } from '../harness/cli.js';
import {
  filesUnder,
  killAllServers,
  makeFolder,
  newMasterKey,
  removeFolder,
  reportFigures,
  reveal,
  revealsExactly,
  scanFiles,
  seedFrom,
  sleep,
  startDrill,
  VaultProcess,
} from './fault-run.js';

// DESIGN.md "Faults": `ticketvault restore <file>` replaces the data with a backup taken by
// `backup`. The drill an operator would run: a backup taken while the vault is busy, restored
// into a fresh data folder; the chain verifies, reveals work with the same master key, and
// neither restore nor start works with another.

const SEED = seedFrom(process.env.FAULTS_SEED);
const WORKERS = 6;

jest.setTimeout(120_000);
beforeAll(buildIfStale, 130_000);

describe('restore drill: `backup` under load, `restore` into a fresh data folder', () => {
  let folder: string;
  beforeAll(() => {
    folder = makeFolder('restore');
  });
  afterAll(async () => {
    await killAllServers();
    removeFolder(folder);
  });

  it('the restored vault verifies its chain and reveals everything acknowledged before the backup with the same master key; another master key can neither restore nor start it', async () => {
    const source = new VaultProcess({ dataDir: path.join(folder, 'source'), logFile: path.join(folder, 'source.log') });
    const fresh = new VaultProcess({ dataDir: path.join(folder, 'fresh'), logFile: path.join(folder, 'fresh.log'), masterKey: source.masterKey });
    const otherKey = newMasterKey();
    const backupFile = path.join(folder, 'backups', 'ticketvault.db');
    fs.mkdirSync(path.dirname(backupFile));

    // Every other submission with 16 KiB of notes: a database of some MiB, so the copy takes a while.
    const { tally, client, traffic } = await startDrill(source, 'RESTORE', SEED, { bulkBytes: 16 * 1024, bulkEvery: 2 });

    const load = traffic.start(WORKERS);
    await sleep(1500);
    const acknowledgedBefore = new Map(traffic.acknowledged);
    const requestsBefore = tally.requests;
    const backup = await source.cli(['backup', backupFile]);
    const requestsDuringBackup = tally.requests - requestsBefore;
    const acknowledgedByEnd = new Set(traffic.acknowledged.keys());
    await sleep(500);
    await load.stop();
    expect(backup.code).toBe(0);
    const acknowledgedAfter = [...traffic.acknowledged.keys()].filter((id) => !acknowledgedByEnd.has(id));
    const sourceLost = await traffic.checkAcknowledged(WORKERS);
    const missingAuditRows = traffic.missingAuditRows(source);
    await source.stop();

    const restored = await fresh.cli(['restore', backupFile]);
    expect(restored.code).toBe(0);
    const summary = JSON.parse(lines(restored.stdout).at(-1)!) as { replaced: string; auditEvents: number; headHash: string };
    expect(summary).toMatchObject({ replaced: 'none', auditEvents: expect.any(Number), headHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const verified = await fresh.auditVerify();
    expect(verified).toMatchObject({ code: 0, result: { ok: true, count: summary.auditEvents, headHash: summary.headHash } });
    const integrity = fresh.integrityCheck();
    expect(integrity).toBe('ok');

    // Same master key: the restored vault starts, takes the same bearer token, reveals exactly.
    client.url = () => fresh.url;
    await fresh.start();
    const lost: string[] = [...sourceLost];
    for (const [id, fields] of acknowledgedBefore) if (!revealsExactly(await reveal(client, id), fields)) lost.push(id);
    // Acknowledged while the backup ran: in the copy whole, or not at all.
    const acknowledgedDuring = [...acknowledgedByEnd].filter((id) => !acknowledgedBefore.has(id));
    let duringInCopy = 0;
    for (const id of acknowledgedDuring) {
      const answer = await reveal(client, id);
      if (revealsExactly(answer, traffic.acknowledged.get(id)!)) duringInCopy++;
      else if (answer.status !== 404) lost.push(`${id} (acknowledged during the backup): ${answer.status}`);
    }
    const afterBackup = await Promise.all(acknowledgedAfter.map(async (id) => (await reveal(client, id)).status));
    expect(afterBackup.every((status) => status === 404)).toBe(true);
    await fresh.stop();

    // Another master key: restore refuses and leaves no database; serve refuses the restored folder.
    const otherFolder = new VaultProcess({ dataDir: path.join(folder, 'other'), logFile: path.join(folder, 'other.log'), masterKey: otherKey });
    const refused = await otherFolder.cli(['restore', backupFile]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('master_key_mismatch');
    expect(fs.existsSync(otherFolder.databasePath)).toBe(false);
    const wrongKey = new VaultProcess({ dataDir: fresh.options.dataDir, logFile: path.join(folder, 'wrong-key.log'), masterKey: otherKey });
    const started = await wrongKey.start().then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(started).toMatch(/serve did not start[\s\S]*MASTER_KEY/);

    const leaks = scanFiles(traffic.canaries(), [...filesUnder(folder)]);
    reportFigures('restore-drill', {
      seed: SEED,
      iterations: 1,
      faultsInjected: 0,
      requests: tally.requests,
      requestsDuringBackup,
      answers5xx: tally.answers5xx,
      acknowledgedBeforeBackup: acknowledgedBefore.size,
      acknowledgedDuringBackup: acknowledgedDuring.length,
      duringBackupInCopy: duringInCopy,
      acknowledgedAfterBackup: acknowledgedAfter.length,
      backupBytes: fs.statSync(backupFile).size,
      auditEvents: summary.auditEvents,
      lostRows: lost.length,
      missingAuditRows,
      leakedCanaries: leaks.length,
    });
    expect(tally.fiveHundreds).toEqual([]);
    expect(traffic.unexpected).toEqual([]);
    expect([...source.unexpectedExits, ...fresh.unexpectedExits]).toEqual([]);
    expect({ lost, missingAuditRows }).toEqual({ lost: [], missingAuditRows: 0 });
    expect(leaks).toEqual([]);
    expect(acknowledgedBefore.size).toBeGreaterThan(0);
  });
});
