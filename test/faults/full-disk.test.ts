import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { buildIfStale } from '../harness/cli.js';
import { canMountTmpfs, fillFileSystem, mountTmpfs, unmountTmpfs } from '../harness/storage-faults.js';
import { waitFor } from '../harness/test-vault.js';
import { call, closingChecks, drillFigures, expectClosingChecksPassed, killAllServers, makeFolder, removeFolder, reportFigures, seedFrom, sleep, startDrill, VaultProcess } from './fault-run.js';

// DESIGN.md "Faults": storage that cannot write answers 503 storage_unavailable with Retry-After,
// a reveal 503 audit_unavailable with no secret, never 500; nothing acknowledged is lost, and
// service resumes without a restart once space is freed. The data folder is a small tmpfs that a
// filler file fills to the last byte mid-traffic.

const TMPFS_BYTES = 16 * 1024 * 1024;
const SEED = seedFrom(process.env.FAULTS_SEED);
const WORKERS = 6;
/** Bounded waits, not timing assertions: how long the drill may take to meet the fault, and to see it clear. */
const FULL_PHASE_LIMIT_MS = 30_000;
const RESUME_LIMIT_MS = 20_000;

// Not root, no mount: SQLite's own page cap inside the server stands in for the full file system.
const how = process.env.FAULTS_FULL_DISK === 'page-limit' || !canMountTmpfs() ? 'page-limit' : 'tmpfs';

jest.setTimeout(180_000);
beforeAll(buildIfStale, 130_000);

describe(`a data folder that runs out of space under traffic (${how})`, () => {
  let folder: string;
  let mount: string | null = null;
  let vault: VaultProcess;
  let free: () => void = () => {};
  let fill: () => void;

  beforeAll(() => {
    folder = makeFolder('full');
    const logFile = path.join(folder, 'serve.log');
    if (how === 'tmpfs') {
      mount = mountTmpfs(TMPFS_BYTES);
      vault = new VaultProcess({ dataDir: mount!, logFile });
      fill = () => {
        free = fillFileSystem(mount!);
      };
    } else {
      const why = process.env.FAULTS_FULL_DISK === 'page-limit' ? 'FAULTS_FULL_DISK=page-limit' : 'mounting a tmpfs was refused here';
      process.stdout.write(`full-disk: ${why}; the full disk is SQLite's PRAGMA max_page_count, set inside the server by test/faults/page-limit.mjs\n`);
      const flag = path.join(folder, 'full');
      vault = new VaultProcess({
        dataDir: path.join(folder, 'data'),
        logFile,
        nodeArgs: ['--import', path.join(import.meta.dirname, 'page-limit.mjs')],
        env: { FAULTS_PAGE_LIMIT_FILE: flag },
      });
      fill = () => {
        fs.writeFileSync(flag, '');
        free = () => fs.rmSync(flag, { force: true });
      };
    }
  });
  afterAll(async () => {
    await killAllServers();
    free();
    if (mount) unmountTmpfs(mount);
    removeFolder(folder);
  });

  it('answers 503 with Retry-After while full (reveals with no secret), never 500, loses nothing acknowledged and resumes without a restart', async () => {
    process.stdout.write(`full-disk: FAULTS_SEED=${SEED}\n`);
    // Every third submission carries 16 KiB of notes: pages of its own, whatever room the last pages
    // had. One request in ten withdraws or rectifies: a refused one must leave the credential whole.
    const { tally, client, traffic } = await startDrill(vault, 'FULL', SEED, { bulkBytes: 16 * 1024, bulkEvery: 3, revealShare: 0.45, changeShare: 0.1 });

    const load = traffic.start(WORKERS);
    await sleep(1000);
    client.faultExpected = true;
    fill();
    const fullSince = Date.now();
    // While full the traffic goes on for a while, and until both kinds of refusal have been seen
    // (SQLite first reuses the room a reset WAL left).
    await sleep(2000);
    await waitFor(() => traffic.refused.submissions >= 3 && traffic.refused.reveals >= 3, 'submissions and reveals refused for want of space', FULL_PHASE_LIMIT_MS).catch(
      () => {}, // the expectations below say what was missing
    );
    const fullForMs = Date.now() - fullSince;
    await load.stop();
    const refusedWhileFull = { ...traffic.refused };
    // Reads need no room: the engineer's ticket list and the customer's intake page still answer.
    const readsWhileFull = [
      (await call(client, 'GET', '/api/v1/tickets?limit=5')).status,
      (await call(client, 'GET', `/api/v1/intake/${traffic.linkTokens[0]}`, undefined, { staff: false })).status,
    ];

    free();
    await traffic.expectServiceResumed('space freed', RESUME_LIMIT_MS);
    await traffic.runFor(WORKERS, 1000);
    const checks = await closingChecks(vault, traffic, WORKERS);

    reportFigures('full-disk', {
      seed: SEED,
      how,
      iterations: 1,
      faultsInjected: 1,
      fullForMs,
      refusedSubmissions: refusedWhileFull.submissions,
      refusedReveals: refusedWhileFull.reveals,
      refusedChanges: refusedWhileFull.changes,
      withdrawn: traffic.withdrawn.size,
      ...drillFigures(tally, traffic, checks),
    });
    expectClosingChecksPassed(checks, tally, traffic);
    expect(readsWhileFull).toEqual([200, 200]);
    expect(refusedWhileFull.submissions).toBeGreaterThan(0);
    expect(refusedWhileFull.reveals).toBeGreaterThan(0);
    expect(checks.restarts).toBe(0);
  });
});
