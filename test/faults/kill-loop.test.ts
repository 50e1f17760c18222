import path from 'node:path';
import { jest } from '@jest/globals';
import { buildIfStale } from '../harness/cli.js';
import {
  closingChecks,
  drillFigures,
  expectClosingChecksPassed,
  killAllServers,
  makeFolder,
  removeFolder,
  reportFigures,
  reveal,
  revealsExactly,
  seededRandom,
  seedFrom,
  sleep,
  startDrill,
  VaultProcess,
} from './fault-run.js';

// DESIGN.md "Faults": a process killed at any instant loses nothing it acknowledged (201/200/204),
// and every secret it returned has its committed audit row; `audit verify` and SQLite
// `integrity_check` pass after. The real server, SIGKILLed mid-traffic, restarted, checked.

const KILLS = Math.max(8, Number(process.env.FAULTS_KILLS ?? 10));
const SEED = seedFrom(process.env.FAULTS_SEED);
const WORKERS = 6;

jest.setTimeout(240_000);
beforeAll(buildIfStale, 130_000);

describe('ticketvault serve, SIGKILLed at random instants under concurrent submissions, reveals, withdrawals and rectifications', () => {
  let folder: string;
  let vault: VaultProcess;
  beforeAll(() => {
    folder = makeFolder('kill');
    vault = new VaultProcess({ dataDir: path.join(folder, 'data'), logFile: path.join(folder, 'serve.log') });
  });
  afterAll(async () => {
    await killAllServers();
    removeFolder(folder);
  });

  it(`loses no acknowledged credential, returns no secret without its committed audit row, never answers 500 (${KILLS} kills, FAULTS_SEED=${SEED})`, async () => {
    process.stdout.write(`kill-loop: FAULTS_SEED=${SEED} FAULTS_KILLS=${KILLS}\n`);
    const killDelay = seededRandom(SEED + 1);
    // Mostly reveals (each restart re-reveals everything acknowledged so far, which bounds the
    // run's time), some withdrawals (204) and rectifications (200) that must survive the kill too.
    const { tally, client, traffic } = await startDrill(vault, 'KILL', SEED, { tickets: 3, revealShare: 0.6, changeShare: 0.1 });

    const lost = new Set<string>();
    const unsound: string[] = [];
    let missingAuditRows = 0;
    let kills = 0;

    /** After a restart: every acknowledged credential reveals exactly; every 200 has its audit row; the file is sound. */
    async function checkEverythingKept(afterKill: number) {
      for (const id of await traffic.checkAcknowledged(WORKERS)) lost.add(id);
      missingAuditRows = Math.max(missingAuditRows, traffic.missingAuditRows(vault));
      const integrity = vault.integrityCheck();
      if (integrity !== 'ok') unsound.push(`after kill ${afterKill}: ${integrity}`);
    }

    while (kills < KILLS) {
      const load = traffic.start(WORKERS);
      await sleep(100 + Math.floor(killDelay() * 900));
      // stop() lets no new request start; the ones in flight meet the kill.
      const drained = load.stop();
      await vault.kill();
      kills++;
      await drained;
      await vault.start();
      if (kills < KILLS) await checkEverythingKept(kills);
    }

    // Nothing partial: a credential whose 201 the kill cut is either absent or whole.
    const stored = vault.read((db) => (db.prepare('SELECT id FROM credentials').all() as { id: string }[]).map((r) => r.id));
    const stray: string[] = [];
    const known = new Set([...traffic.acknowledged.keys(), ...traffic.withdrawn, ...traffic.changesInDoubt.keys()]);
    for (const id of stored.filter((id) => !known.has(id))) {
      const answer = await reveal(client, id);
      const sent = answer.status === 200 ? traffic.inDoubt.get(answer.body.fields.password) : undefined;
      if (!sent || !revealsExactly(answer, sent)) stray.push(`${id}: ${answer.status}`);
    }
    const checks = await closingChecks(vault, traffic, WORKERS);

    reportFigures('kill-loop', {
      seed: SEED,
      iterations: KILLS,
      faultsInjected: kills,
      connectionResets: tally.resets,
      inDoubt: traffic.inDoubt.size,
      inDoubtStored: stored.length - known.size,
      withdrawn: traffic.withdrawn.size,
      ...drillFigures(tally, traffic, checks),
      restarts: kills,
      lostRows: new Set([...lost, ...checks.lost]).size + stray.length,
      missingAuditRows: Math.max(missingAuditRows, checks.missingAuditRows),
    });
    expect({ lost: [...lost], stray, missingAuditRows, unsound }).toEqual({ lost: [], stray: [], missingAuditRows: 0, unsound: [] });
    expectClosingChecksPassed(checks, tally, traffic);
    expect(traffic.acknowledged.size).toBeGreaterThan(0);
    expect(traffic.answered200.size).toBeGreaterThan(0);
  });
});
