// `npm run bench`: the vault against the bare stack (Express 5 + helmet), every figure a ratio
// to a baseline measured in the same run. Loopback only, bounded in time. `--quick` for a smoke run.
//
// Each throughput scenario is a series of pairs (baseline run, vault run; the order alternates
// from pair to pair so a drifting machine weighs on both sides alike), every run under the same
// load settings and one server loaded at a time. A scenario's figure is the median of its pairs'
// ratios, reported with their spread. `--pairs=N` and BENCH_LOAD_SECONDS (seconds per run) override.
//
// `--postgres`: afterwards the reveal and intake scenarios on PostgreSQL (a fresh database
// tv_bench_<random> on BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres,
// dropped at the end), with one and with two `ticketvault serve` instances, paired the same way.
//
// `--profile=<scenario>` runs that scenario alone with the vault under --cpu-prof and stops:
// reveal, intake, ticket-list, ticket-detail (SQLite), pg-reveal, pg-intake (one PostgreSQL
// instance), pg2-reveal, pg2-intake (two; the first one profiled). `--only=<scenario>` runs it
// alone the same way without the profiler (for A/B runs of one scenario). BENCH_VAULT_NODE_ARGS
// (space-separated) adds node options to every vault process, e.g. `--perf-basic-prof` for perf.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import sodium from 'libsodium-wrappers-sumo';
import pg from 'pg';
import { benchVaultEnv, revealPoolFor } from './vault-env.js';

const startedAt = performance.now();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = args.includes('--quick');
const PROFILES = ['reveal', 'intake', 'ticket-list', 'ticket-detail', 'pg-reveal', 'pg-intake', 'pg2-reveal', 'pg2-intake'];
// --profile: the profiled server runs with --cpu-prof; profiles land in bench/profiles/ (see bench/profile-summary.js).
// `focus`: the one scenario --profile or --only runs.
const profiling = args.includes('--profile') || option('profile') !== undefined;
const focus = args.includes('--profile') ? 'reveal' : (option('profile') ?? option('only') ?? null);
if (focus && !PROFILES.includes(focus)) {
  process.stderr.write(`--${profiling ? 'profile' : 'only'}=${focus}: not a scenario (${PROFILES.join(', ')})\n`);
  process.exit(2);
}
const postgresFocus = focus?.startsWith('pg') ?? false;
const withPostgres = args.includes('--postgres') || postgresFocus;
const SIZES = quick
  ? { engineers: 4, liveTickets: 1000, credentialsPerLiveTicket: 10, doomedTickets: 100, credentialsPerDoomedTicket: 100, auditEvents: 100_000, keepCredentialIds: 3000, load: 2, pairs: 3 }
  : { engineers: 8, liveTickets: 10_000, credentialsPerLiveTicket: 10, doomedTickets: 1000, credentialsPerDoomedTicket: 100, auditEvents: 1_000_000, keepCredentialIds: 20000, load: 5, pairs: 5 };
if (process.env.BENCH_LOAD_SECONDS) SIZES.load = Number(process.env.BENCH_LOAD_SECONDS);
if (option('pairs')) SIZES.pairs = Number(option('pairs'));
if (!(SIZES.load > 0) || !(SIZES.pairs >= 1)) {
  process.stderr.write(`seconds per run (${SIZES.load}) and pairs (${SIZES.pairs}) must be positive\n`);
  process.exit(2);
}
const CONNECTIONS = 32;
const WARM_SECONDS = 2;
// A purge still running this long after the expiry is reported as not finished (DESIGN's target is 10 s, with or without reveals).
const PURGE_DEADLINE_SECONDS = 40;
// The expiry is set this far ahead, so the UPDATE that sets it has committed when it falls due.
const EXPIRY_LEAD_MS = 2000;
// Baseline runs on each side of the purge under reveals; its p99 is compared with their median.
const BASELINE_RUNS_AROUND_PURGE = 2;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-bench-'));
const log = (...a) => process.stderr.write(a.join(' ') + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Servers this run started: none outlives it, even when a step throws or the run is interrupted.
const children = new Set();
const track = (child) => {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
};
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
process.on('SIGINT', () => process.exit(130));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url, deadlineMs = 15000) {
  const start = performance.now();
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return performance.now() - start;
    } catch {}
    if (performance.now() - start > deadlineMs) throw new Error(`not ready: ${url}`);
    await sleep(5);
  }
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10000).unref();
  });
}

function runNode(args, env = {}) {
  const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** One autocannon run in its own process (bench/load.js); `until`, once settled, ends it early. */
function load(name, spec, until = null) {
  const file = path.join(work, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(spec));
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [path.join(root, 'bench/load.js'), file], { stdio: ['ignore', 'pipe', 'inherit'] }));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load ${name} exited ${code}`))));
    until?.finally(() => child.kill('SIGUSR2'));
  });
}

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * One load run, with how busy the loaded server processes were meanwhile (summed over
 * instances, 1 = one core) and, on PostgreSQL, the database's backends serving them (`db`).
 */
async function measured(name, spec, servers, db = null, until = null) {
  const cpuOf = () => servers.reduce((sum, s) => sum + cpuSeconds(s.pid), 0);
  const before = cpuOf();
  const dbBefore = db ? await db.cpu() : null;
  const result = await load(name, spec, until);
  result.serverCpu = (cpuOf() - before) / result.durationS;
  if (db) result.postgresCpu = ((await db.cpu()) - dbBefore) / result.durationS;
  return result;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spreadOf = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

/** Medians of a side's runs (errors and non-2xx summed). */
function figuresOf(runs) {
  const figures = {
    runs: runs.length,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    serverCpu: median(runs.map((r) => r.serverCpu)),
  };
  if (runs.every((r) => r.postgresCpu !== undefined)) figures.postgresCpu = median(runs.map((r) => r.postgresCpu));
  return figures;
}

const loadSpec = (url, pool) => ({ url, connections: CONNECTIONS, pool });

/**
 * A throughput scenario: a warm-up of each server, then SIZES.pairs pairs of runs, baseline then
 * vault, vault then baseline, and so on, each run SIZES.load seconds under the same load
 * settings, one server loaded at a time. Every pair yields a req/s ratio and a p99 ratio; the
 * scenario is judged on their medians.
 */
async function paired(name, vault, baselineSpec) {
  const run = (side, label, duration) =>
    side === 'vault'
      ? measured(label, { ...vault.spec, duration }, vault.servers, vault.db)
      : measured(label, { ...baselineSpec, duration }, [baselineServer]);
  log(`${name}: warm-up, then ${SIZES.pairs} pairs of ${SIZES.load} s runs…`);
  await run('vault', `${name}-warm`, WARM_SECONDS);
  await run('baseline', `${name}-baseline-warm`, WARM_SECONDS);
  const pairs = [];
  for (let i = 0; i < SIZES.pairs; i++) {
    const order = i % 2 ? ['vault', 'baseline'] : ['baseline', 'vault'];
    const pair = { order: order.map((side) => side[0].toUpperCase()).join('') };
    for (const side of order) pair[side] = await run(side, side === 'vault' ? `${name}-${i}` : `${name}-baseline-${i}`, SIZES.load);
    pair.rpsRatio = pair.vault.rps / pair.baseline.rps;
    pair.p99Ratio = pair.vault.p99 / pair.baseline.p99;
    pairs.push(pair);
  }
  const result = {
    pairs,
    rpsRatio: spreadOf(pairs.map((p) => p.rpsRatio)),
    p99Ratio: spreadOf(pairs.map((p) => p.p99Ratio)),
    vault: figuresOf(pairs.map((p) => p.vault)),
    baseline: figuresOf(pairs.map((p) => p.baseline)),
  };
  log(`${name}: ${result.vault.rps.toFixed(0)} req/s p99 ${result.vault.p99} ms; req/s ratio ${spreadText(result.rpsRatio)}, p99 ratio ${spreadText(result.p99Ratio)}`);
  return result;
}

/** The same requests (method, headers, body) sent to the baseline's /echo, which parses the JSON body. */
const asBaseline = (pool) => pool.map((r) => ({ ...r, path: '/echo' }));

function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function metricsText(url) {
  const res = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${vaultEnv.METRICS_TOKEN}` } });
  if (!res.ok) throw new Error(`${url}/metrics answered ${res.status}`);
  return res.text();
}

async function metric(url, name) {
  const line = (await metricsText(url)).split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Every request an instance has answered so far (its own counter, all routes and statuses). */
async function requestsServed(url) {
  return (await metricsText(url))
    .split('\n')
    .filter((l) => l.startsWith('ticketvault_http_requests_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Sealed submissions (sealed to the seeded vault's intake key) through the seeded intake link. */
function intakePoolFor(fx) {
  const publicKey = Buffer.from(fx.intakePublicKey, 'base64url');
  return Array.from({ length: 2000 }, (_, i) => ({
    method: 'POST',
    path: `/api/v1/intake/${fx.intakeToken}/credentials`,
    body: {
      kind: 'teamviewer',
      label: `TeamViewer ${i}`,
      sealed: Buffer.from(sodium.crypto_box_seal(JSON.stringify({ partnerId: String(100000000 + i), password: `tv-${i}-secret` }), publicKey)).toString('base64url'),
    },
  }));
}

const meanBodyBytes = (pool) => Math.round(pool.reduce((sum, r) => sum + Buffer.byteLength(JSON.stringify(r.body)), 0) / pool.length);

/** A statement on the vault's database behind its back, on either backend ($1, $2… placeholders); the rows it returns. */
async function onVaultDatabase(env, sql, params) {
  if (env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  }
  const db = new Database(env.DATABASE_PATH);
  try {
    db.pragma('busy_timeout = 10000');
    const statement = db.prepare(sql.replace(/\$\d+/g, '?'));
    if (statement.reader) return statement.all(...params);
    statement.run(...params);
    return [];
  } finally {
    db.close();
  }
}

const doomedTickets = `SELECT id FROM tickets WHERE external_ref LIKE $1`;

/** Makes a doomed group's credentials (tickets with external_ref LIKE `refs`) expire at `at`. */
const expireDoomed = (env, refs, at) => onVaultDatabase(env, `UPDATE credentials SET expires_at = $1 WHERE ticket_id IN (${doomedTickets.replace('$1', '$2')})`, [at, refs]);

/** How many of a doomed group's credentials are not purged yet. */
async function doomedLeft(env, refs) {
  const [row] = await onVaultDatabase(env, `SELECT count(*) AS n FROM credentials WHERE status <> 'purged' AND ticket_id IN (${doomedTickets})`, [refs]);
  return Number(row.n);
}

/**
 * Sets a doomed group's expiry EXPIRY_LEAD_MS ahead, calls `alongside()` (to start a load that
 * runs during the purge), then waits for the purge job: seconds from the expiry until /metrics counts the group
 * purged and the database confirms it (polled every 100 ms), and the purge pass's own duration.
 */
async function purgeOf(group, alongside = () => {}) {
  const purgedBefore = await metric(base, 'ticketvault_credentials_purged_total');
  const expiresAt = Date.now() + EXPIRY_LEAD_MS;
  await expireDoomed(vaultEnv, group.refs, expiresAt);
  if (Date.now() > expiresAt) log(`${group.refs}: setting the expiry took longer than its ${EXPIRY_LEAD_MS} ms lead`);
  alongside();
  const deadline = expiresAt + PURGE_DEADLINE_SECONDS * 1000;
  const result = { credentials: group.credentials, seconds: null, passSeconds: null, left: group.credentials };
  while (Date.now() < deadline) {
    await sleep(100);
    // The counter may count a pass's credentials more than once (overlapping timer ticks share a pass), never fewer.
    if ((await metric(base, 'ticketvault_credentials_purged_total')) - purgedBefore < group.credentials) continue;
    const seenAt = Date.now();
    result.left = await doomedLeft(vaultEnv, group.refs);
    if (result.left > 0) continue;
    result.seconds = (seenAt - expiresAt) / 1000;
    result.passSeconds = await metric(base, 'ticketvault_purge_last_duration_seconds');
    break;
  }
  if (result.seconds === null) result.left = await doomedLeft(vaultEnv, group.refs);
  return result;
}

function threadCpu(pid) {
  const out = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.split(') ')[1].split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / 100;
    if (cpu > 0.05) out[`${comm}#${tid}`] = cpu;
  }
  return out;
}

/** After the profiled scenario: stop its server, so the profile holds that scenario alone, and say where it went. */
async function endProfile(name, result, child) {
  log(`server threads, CPU seconds: ${JSON.stringify(threadCpu(child.pid))}`);
  await stop(child);
  log(`${name}: ${result.vault.rps.toFixed(0)} req/s p99 ${result.vault.p99} ms, ${(result.vault.serverCpu * 100).toFixed(0)}% server CPU; baseline ${result.baseline.rps.toFixed(0)} req/s p99 ${result.baseline.p99} ms`);
  if (profiling) log('profile written to bench/profiles/ — summarise with: node bench/profile-summary.js bench/profiles/<file>');
}

// Every vault process runs the build made at the start (bench/vault.js says why).
const vaultCli = path.join(root, 'bench/vault.js');
const profileArgs = (on) => (on && profiling ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench/profiles')}`] : []);
const vaultNodeArgs = (process.env.BENCH_VAULT_NODE_ARGS ?? '').split(' ').filter(Boolean);
const serveLogs = [];

/** A `ticketvault serve` process; its stderr goes to `<name>.log` in the work folder, shown if the run fails. */
function startServe(name, env, withProfile = false) {
  const logFile = path.join(work, `${name}.log`);
  serveLogs.push(logFile);
  return track(
    spawn(process.execPath, [...vaultNodeArgs, ...profileArgs(withProfile), vaultCli, 'serve'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', fs.openSync(logFile, 'w')] }),
  );
}

function showServeLogs(error) {
  for (const file of serveLogs) {
    const tail = fs.readFileSync(file, 'utf8').trim().split('\n').slice(-20).join('\n');
    if (tail) log(`${file}:\n${tail}`);
  }
  throw error;
}

/**
 * The SQLite scenarios: cold start, the four throughput scenarios, memory, the two purges, and
 * `audit verify` over the topped-up audit log. Returns { profiled: true } once a profiled scenario is done.
 */
async function sqliteScenarios() {
  log(`seeding ${SIZES.liveTickets * SIZES.credentialsPerLiveTicket} live + 2 × ${SIZES.doomedTickets * SIZES.credentialsPerDoomedTicket} to-be-expired credentials…`);
  const seedSpec = path.join(work, 'seed-spec.json');
  fs.writeFileSync(seedSpec, JSON.stringify(SIZES));
  runNode([path.join(root, 'bench/seed.js'), seedSpec, path.join(work, 'fixtures.json')], vaultEnv);
  const fx = JSON.parse(fs.readFileSync(path.join(work, 'fixtures.json'), 'utf8'));
  log(`seeded in ${(fx.seedMs / 1000).toFixed(1)} s: ${JSON.stringify(fx.counts)}`);

  log('cold start…');
  const coldStarts = [];
  for (let i = 0; i < 3; i++) {
    const child = startServe(`cold-start-${i}`, vaultEnv);
    coldStarts.push(await waitReady(`${base}/readyz`));
    await stop(child);
  }
  coldStarts.sort((a, b) => a - b);

  log('vault…');
  const server = startServe('vault', vaultEnv, Boolean(focus));
  await waitReady(`${base}/readyz`);
  await sodium.ready;
  const revealPool = revealPoolFor(fx);
  const intakePool = intakePoolFor(fx);
  const staffHeaders = { authorization: `Bearer ${fx.tokens[0]}` };
  const listPool = ['', '?status=open', '?q=upload', '?q=customer12'].map((q) => ({ path: `/api/v1/tickets${q}`, headers: staffHeaders }));
  const detailPool = fx.ticketIds.slice(0, 2000).map((id) => ({ path: `/api/v1/tickets/${id}`, headers: staffHeaders }));
  const throughput = [
    ['reveal', 'reveal', revealPool],
    ['intake', `intake (sealed, ${meanBodyBytes(intakePool)}-byte body)`, intakePool],
    ['ticket-list', `ticket list (${fx.counts.tickets} tickets)`, listPool],
    ['ticket-detail', 'ticket detail', detailPool],
  ];
  const scenarios = {};
  for (const [name, label, pool] of throughput) {
    // Profiling runs only the scenario it profiles.
    if (focus && focus !== name) continue;
    scenarios[name] = { label, ...(await paired(name, { spec: loadSpec(base, pool), servers: [server] }, loadSpec(baselineUrl, asBaseline(pool)))) };
    if (focus === name) {
      await endProfile(name, scenarios[name], server);
      return { profiled: true };
    }
  }
  const memory = rssMb(server.pid);

  const [groupA, groupB] = fx.doomedGroups;
  log(`purge of ${groupA.credentials} expired credentials, no other load…`);
  const purgeAlone = await purgeOf(groupA);

  log(`purge of ${groupB.credentials} expired credentials while reveals go on…`);
  const revealSpec = loadSpec(base, revealPool);
  const baselineRevealSpec = loadSpec(baselineUrl, asBaseline(revealPool));
  const baselineRuns = [];
  const baselineRun = async (label) => baselineRuns.push(await measured(label, { ...baselineRevealSpec, duration: SIZES.load }, [baselineServer]));
  for (let i = 0; i < BASELINE_RUNS_AROUND_PURGE; i++) await baselineRun(`purge-baseline-before-${i}`);
  let purged;
  const purgeDone = new Promise((resolve) => (purged = resolve));
  // The reveals run from when the expiry is set until the purge is over (or its deadline).
  let revealsDuring;
  const purgeUnderReveals = await purgeOf(groupB, () => {
    revealsDuring = measured('reveal-during-purge', { ...revealSpec, duration: PURGE_DEADLINE_SECONDS + EXPIRY_LEAD_MS / 1000 }, [server], null, purgeDone);
  });
  purged();
  purgeUnderReveals.reveals = await revealsDuring;
  for (let i = 0; i < BASELINE_RUNS_AROUND_PURGE; i++) await baselineRun(`purge-baseline-after-${i}`);
  purgeUnderReveals.baselineRuns = baselineRuns;
  purgeUnderReveals.baseline = figuresOf(baselineRuns);
  purgeUnderReveals.p99Ratio = purgeUnderReveals.reveals.p99 / purgeUnderReveals.baseline.p99;
  await stop(server);

  log(`audit verify over ${SIZES.auditEvents} events…`);
  fs.writeFileSync(seedSpec, JSON.stringify({ mode: 'topup-audit', auditEvents: SIZES.auditEvents }));
  runNode([path.join(root, 'bench/seed.js'), seedSpec, path.join(work, 'topup.json')], vaultEnv);
  const verifyStart = performance.now();
  const verifyOut = JSON.parse(runNode([vaultCli, 'audit', 'verify'], vaultEnv).trim().split('\n').pop());
  const verify = { seconds: (performance.now() - verifyStart) / 1000, ...verifyOut };

  return { counts: fx.counts, seedMs: fx.seedMs, coldStartsMs: coldStarts, scenarios, memory, purgeAlone, purgeUnderReveals, verify };
}

const withoutPassword = (url) => {
  const u = new URL(url);
  u.password = '';
  return u.toString();
};

/** A session on the PostgreSQL server `--postgres` uses, as a user who may create databases. */
async function postgresAdmin() {
  const adminUrl = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `--postgres: cannot reach PostgreSQL at ${withoutPassword(adminUrl)} (${error.message}); start it ` +
        '(e.g. pg_ctlcluster --skip-systemctl-redirect <version> main start) or point BENCH_POSTGRES_URL at a server where this user may CREATE DATABASE',
    );
  }
  return { admin, adminUrl };
}

/**
 * `--postgres`: the reveal and intake scenarios on a fresh PostgreSQL database, first against one
 * `ticketvault serve`, then against two on the same database (same MASTER_KEY and PUBLIC_URL, the
 * load dealt over both), paired with baseline runs like SQLite's. The database is dropped at the
 * end, whatever happened. Returns { profiled: true } once a profiled scenario is done.
 */
async function postgresScenarios() {
  const { admin, adminUrl } = await postgresAdmin();
  const name = `tv_bench_${crypto.randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${name}`;
  const instances = [];
  try {
    const ports = [await freePort(), await freePort()];
    while (ports[1] === ports[0]) ports[1] = await freePort();
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    const env = { ...vaultEnv, DATABASE_URL: dbUrl.toString(), DATABASE_PATH: path.join(work, 'unused-with-postgres.db'), PUBLIC_URL: urls[0] };

    // Live tickets only: the reveal and intake scenarios touch nothing else (no purge scenario here).
    const sizes = { ...SIZES, doomedTickets: 0, credentialsPerDoomedTicket: 0 };
    log(`postgres: seeding ${sizes.liveTickets * sizes.credentialsPerLiveTicket} live credentials into ${name}…`);
    // The seed's own sessions only commit without waiting for the WAL flush (bench/seed.js says why that is safe here).
    const seedUrl = new URL(env.DATABASE_URL);
    seedUrl.searchParams.set('options', '-c synchronous_commit=off');
    const specFile = path.join(work, 'pg-seed-spec.json');
    fs.writeFileSync(specFile, JSON.stringify(sizes));
    runNode([path.join(root, 'bench/seed.js'), specFile, path.join(work, 'pg-fixtures.json')], { ...env, DATABASE_URL: seedUrl.toString() });
    const pfx = JSON.parse(fs.readFileSync(path.join(work, 'pg-fixtures.json'), 'utf8'));
    log(`postgres: seeded in ${(pfx.seedMs / 1000).toFixed(1)} s: ${JSON.stringify(pfx.counts)}`);
    // Fresh statistics, as a database that has been running a while would have.
    await onVaultDatabase(env, 'ANALYZE', []);
    const serverVersion = (await admin.query('SHOW server_version')).rows[0].server_version.split(' ')[0];

    /** CPU seconds of this database's backends (a backend gone since keeps its last reading). */
    const seen = new Map();
    const db = {
      async cpu() {
        const { rows } = await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name]);
        for (const { pid } of rows) {
          try {
            seen.set(pid, cpuSeconds(pid));
          } catch {}
        }
        return [...seen.values()].reduce((a, b) => a + b, 0);
      },
    };
    const startInstance = (count, i, withProfile) => {
      const child = startServe(`pg${count}-instance-${i}`, { ...env, PORT: String(ports[i]) }, withProfile);
      instances.push(child);
      return child;
    };
    await sodium.ready;
    const pools = { reveal: revealPoolFor(pfx), intake: intakePoolFor(pfx) };
    const scenarios = {};
    for (const count of [1, 2]) {
      const prefix = count === 1 ? 'pg' : 'pg2';
      if (postgresFocus && !focus.startsWith(`${prefix}-`)) continue;
      log(`postgres: ${count} instance${count > 1 ? 's' : ''}…`);
      const servers = Array.from({ length: count }, (_, i) => startInstance(count, i, postgresFocus && i === 0));
      const targets = urls.slice(0, count);
      await Promise.all(targets.map((u) => waitReady(`${u}/readyz`, 30000)));
      for (const [scenario, pool] of Object.entries(pools)) {
        const key = `${prefix}-${scenario}`;
        if (postgresFocus && focus !== key) continue;
        const before = await Promise.all(targets.map(requestsServed));
        const result = await paired(key, { spec: loadSpec(targets, pool), servers, db }, loadSpec(baselineUrl, asBaseline(pool)));
        const after = await Promise.all(targets.map(requestsServed));
        result.label = `${scenario === 'intake' ? `intake (sealed, ${meanBodyBytes(pool)}-byte body)` : 'reveal'}, ${count} instance${count > 1 ? 's' : ''}`;
        result.scenario = scenario;
        result.instances = count;
        // Requests each instance answered over the scenario, warm-up included.
        result.perInstance = after.map((n, i) => n - before[i]);
        scenarios[key] = result;
        if (focus === key) {
          await endProfile(key, result, servers[0]);
          return { profiled: true };
        }
      }
      await Promise.all(servers.map(stop));
      instances.length = 0;
    }
    return { database: name.replace(/_[0-9a-f]+$/, '_<random>'), serverVersion, seedMs: pfx.seedMs, counts: pfx.counts, scenarios };
  } finally {
    await Promise.all(instances.map(stop));
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error) => log(`postgres: could not drop ${name}: ${error.message}`));
    await admin.end();
  }
}

// ---------------------------------------------------------------------------------------------
log(`ticketvault bench${quick ? ' (quick)' : ''}: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`);
if (withPostgres) await (await postgresAdmin()).admin.end(); // fail now, not after the SQLite scenarios
log('building…');
runNode([path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
{
  const web = await import(pathToFileURL(path.join(root, 'scripts/build-web.mjs')).href);
  if (web.webIsStale()) await web.buildWeb();
}

const port = await freePort();
const vaultEnv = benchVaultEnv(work, port);
const base = `http://127.0.0.1:${port}`;

// The baseline idles beside the vault for the whole run; only the side being measured gets load.
const baselinePort = await freePort();
const baselineUrl = `http://127.0.0.1:${baselinePort}`;
const baselineServer = track(spawn(process.execPath, [path.join(root, 'bench/baseline-server.js')], { env: { ...process.env, PORT: String(baselinePort) }, stdio: 'ignore' }));
await waitReady(`${baselineUrl}/echo`);

const sqlite = postgresFocus ? null : await sqliteScenarios().catch(showServeLogs);
const postgres = withPostgres && !sqlite?.profiled ? await postgresScenarios().catch(showServeLogs) : null;
await stop(baselineServer);
if (sqlite?.profiled || postgres?.profiled) {
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
const minutes = (performance.now() - startedAt) / 60000;

// ---------------------------------------------------------------------------------------------
function spreadText(s) {
  return `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}
const percent = (v) => (v === undefined ? '' : `${(v * 100).toFixed(0)}%`);

/** A markdown table: `columns` are [header, cell(row)], the first left-aligned, the others right. */
function markdownTable(columns, rows) {
  return [
    `| ${columns.map(([header]) => header).join(' | ')} |`,
    `|${columns.map((_, i) => (i ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${columns.map(([, cell]) => cell(row)).join(' | ')} |`),
  ];
}

const pairedColumns = (cpuColumns, extra = []) => [
  ['scenario', (r) => r.label],
  ['pairs', (r) => r.pairs.length],
  ['req/s', (r) => r.vault.rps.toFixed(0)],
  ['p50 ms', (r) => r.vault.p50],
  ['p99 ms', (r) => r.vault.p99],
  ...cpuColumns,
  ['baseline req/s', (r) => r.baseline.rps.toFixed(0)],
  ['baseline p99 ms', (r) => r.baseline.p99],
  ['req/s ÷ baseline: median (min–max)', (r) => spreadText(r.rpsRatio)],
  ['p99 ÷ baseline p99: median (min–max)', (r) => spreadText(r.p99Ratio)],
  ['errors', (r) => r.vault.errors],
  ['non-2xx', (r) => r.vault.non2xx],
  ...extra,
];

const { scenarios, purgeAlone, purgeUnderReveals, verify, memory, coldStartsMs, counts } = sqlite;
const { reveal, intake } = scenarios;
const table = markdownTable(pairedColumns([['server CPU', (r) => percent(r.vault.serverCpu)]]), Object.values(scenarios));
table.push(
  '',
  `Figures are medians over the pairs (req/s, p50, p99 of the vault's runs and of the baseline's); each ratio is the vault's run over the baseline run of the same pair, ` +
    `reported as the median of the pairs and their spread. ${SIZES.load} s per run, ${WARM_SECONDS} s warm-up of each server before a scenario's first pair. ` +
    'Every baseline run sends the same requests as its vault runs (method, headers, body) to `/echo`, which parses the JSON body.',
  '',
);
const purgeSeconds = (r) => (r.seconds === null ? `not within ${PURGE_DEADLINE_SECONDS} s (${r.left} left)` : `${r.seconds.toFixed(2)} s`);
table.push(
  ...markdownTable(
    [
      ['purge', (r) => r.label],
      ['credentials', (r) => r.credentials],
      ['expiry → all purged', purgeSeconds],
      ['purge pass', (r) => (r.passSeconds === null ? '' : `${r.passSeconds.toFixed(2)} s`)],
      ['reveal req/s', (r) => r.reveals?.rps.toFixed(0) ?? ''],
      ['reveal p99 ms', (r) => r.reveals?.p99 ?? ''],
      ['baseline p99 ms', (r) => r.baseline?.p99 ?? ''],
      ['p99 ÷ baseline p99', (r) => (r.p99Ratio === undefined ? '' : `${r.p99Ratio.toFixed(2)}×`)],
      ['errors', (r) => r.reveals?.errors ?? ''],
      ['non-2xx', (r) => r.reveals?.non2xx ?? ''],
    ],
    [
      { label: 'no other load', ...purgeAlone },
      { label: 'while reveals go on', ...purgeUnderReveals },
    ],
  ),
  '',
  `Each purge: a group of seeded credentials made due ${EXPIRY_LEAD_MS / 1000} s ahead behind the vault's back, timed from that moment until /metrics counts them purged ` +
    `and the database confirms none is left (polled every 100 ms; the purge job runs every second); "purge pass" is the job's own last pass. ` +
    `Under reveals, the reveal load runs from when the expiry is set until the purge is over; its baseline p99 is the median of ${2 * BASELINE_RUNS_AROUND_PURGE} baseline runs, ` +
    `${BASELINE_RUNS_AROUND_PURGE} just before and ${BASELINE_RUNS_AROUND_PURGE} just after.`,
  '',
);

const pairsNote = (r) => `${r.pairs.length} pairs`;
const targets = [
  // DESIGN.md's targets, every one a ratio to the baseline measured in the same run (its
  // "Performance targets" supersede the absolute latency figures of the original issue).
  ['reveal req/s ≥ 0.6× baseline (aim 0.75×)', reveal.rpsRatio.median, (v) => v >= 0.6, () => `${spreadText(reveal.rpsRatio)}, ${pairsNote(reveal)}`],
  ['reveal p99 ≤ 2× baseline p99 (aim 1.5×)', reveal.p99Ratio.median, (v) => v <= 2, () => `${spreadText(reveal.p99Ratio)}, ${pairsNote(reveal)} (${reveal.vault.p99} ms vs ${reveal.baseline.p99} ms)`],
  ['intake req/s ≥ 0.5× baseline', intake.rpsRatio.median, (v) => v >= 0.5, () => `${spreadText(intake.rpsRatio)}, ${pairsNote(intake)}`],
  [`purge of ${purgeAlone.credentials} expired credentials, no other load, < 10 s`, purgeAlone.seconds, (v) => v < 10, () => purgeSeconds(purgeAlone)],
  [`purge of ${purgeUnderReveals.credentials} expired credentials while reveals go on < 10 s`, purgeUnderReveals.seconds, (v) => v < 10, () => purgeSeconds(purgeUnderReveals)],
  [
    'reveal p99 during that purge ≤ 3× baseline p99',
    purgeUnderReveals.p99Ratio,
    (v) => v <= 3,
    (v) => `${v.toFixed(2)}× (${purgeUnderReveals.reveals.p99} ms vs ${purgeUnderReveals.baseline.p99} ms)`,
  ],
  [`audit verify of ${verify.count} events < 10 s`, verify.seconds, (v) => v < 10 && verify.ok, (v) => `${v.toFixed(2)} s`],
  [`RSS with ${counts.liveCredentials + counts.doomedCredentials} credentials < 200 MB`, memory.rss, (v) => v < 200, (v) => `${v.toFixed(0)} MB`],
  ['cold start to /readyz < 1 s (median of 3)', coldStartsMs[1], (v) => v < 1000, (v) => `${v.toFixed(0)} ms`],
];
table.push('| target | measured | result |', '|---|---:|:---:|');
const verdicts = targets.map(([name, value, pass, fmt]) => {
  const measuredValue = value === null || value === undefined ? null : value;
  const ok = measuredValue !== null && pass(measuredValue);
  table.push(`| ${name} | ${fmt(measuredValue)} | ${ok ? 'PASS' : 'FAIL'} |`);
  return { target: name, value: measuredValue, pass: ok };
});
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}`;

// PostgreSQL (--postgres): the same pairs on the other backend, its ratios beside SQLite's.
const pgTable = [];
if (postgres) {
  const pgRows = Object.values(postgres.scenarios);
  pgTable.push(
    ...markdownTable(
      pairedColumns(
        [
          ['vault CPU', (r) => percent(r.vault.serverCpu)],
          ['postgres CPU', (r) => percent(r.vault.postgresCpu)],
        ],
        [['req/s ratio ÷ SQLite\'s', (r) => `${(r.rpsRatio.median / scenarios[r.scenario].rpsRatio.median).toFixed(2)}×`]],
      ),
      pgRows,
    ),
    '',
  );
  const two = pgRows.filter((r) => r.instances === 2).map((r) => `${r.scenario} ${r.perInstance.join(' / ')}`);
  pgTable.push(
    `PostgreSQL ${postgres.serverVersion} on the same machine, a fresh database seeded with ${postgres.counts.liveCredentials} live credentials on ${postgres.counts.tickets} tickets ` +
      `(in ${(postgres.seedMs / 1000).toFixed(1)} s). Two instances: two \`ticketvault serve\` processes on one database, same MASTER_KEY and PUBLIC_URL, the ${CONNECTIONS} connections dealt ` +
      `alternately over them (requests each answered over the scenario, warm-up included: ${two.join('; ')}). vault CPU is summed over the instances (100% = one core); postgres CPU is this database's backends. ` +
      `"÷ SQLite's" divides the scenario's median req/s ratio by SQLite's.`,
  );
}
const allRuns = [
  ...Object.values({ ...scenarios, ...(postgres?.scenarios ?? {}) }).flatMap((s) => s.pairs.flatMap((p) => [p.vault, p.baseline])),
  purgeUnderReveals.reveals,
  ...purgeUnderReveals.baselineRuns,
];
const errorsSeen = allRuns.some((r) => r.errors > 0 || r.non2xx > 0);
const summary = {
  at: new Date().toISOString(),
  quick,
  minutes,
  machine,
  connections: CONNECTIONS,
  sizes: SIZES,
  warmSeconds: WARM_SECONDS,
  counts,
  seedMs: sqlite.seedMs,
  scenarios,
  purgeAlone,
  purgeUnderReveals,
  memory,
  coldStartsMs,
  verify,
  targets: verdicts,
  errorsSeen,
};
if (postgres) summary.postgres = postgres;

process.stdout.write(`\n${table.join('\n')}\n\n`);
if (postgres) process.stdout.write(`PostgreSQL\n\n${pgTable.join('\n')}\n\n`);
fs.writeFileSync(path.join(root, 'bench/results.json'), JSON.stringify(summary, null, 2) + '\n');
if (!quick) {
  const doc = `# Benchmarks

Produced by \`npm run bench\` (bench/run.js) on ${summary.at.slice(0, 10)}, in ${minutes.toFixed(0)} minutes. Every
figure is measured in one run on one machine; every target is a ratio to the baseline (an
Express 5 + helmet app answering a small JSON body to the same requests), as DESIGN.md's
"Performance targets" set them. The machine is noisy (a shared VM whose baseline alone swings by
a third from run to run), so each scenario is ${SIZES.pairs} pairs of runs, baseline and vault, the order
alternating from pair to pair and one server loaded at a time; every pair gives a ratio, and the
scenario is judged on the median of its pairs, shown with their spread.

**Machine:** ${machine}. Load: autocannon in its own process, ${CONNECTIONS} connections, loopback,
${SIZES.load} s per run. The vault runs as \`ticketvault serve\` in production mode (\`synchronous=FULL\`,
every reveal's audit row durably committed before its secret leaves) on a database seeded with
${counts.liveCredentials + counts.doomedCredentials} credentials on ${counts.tickets} tickets.

${table.join('\n')}
${
  postgres
    ? `
## PostgreSQL

\`npm run bench -- --postgres\` runs the reveal and intake scenarios again with \`DATABASE_URL\`
pointing at PostgreSQL, first with one instance, then with two instances on the same database,
paired with baseline runs like the scenarios above (every commit durable: the server's
\`synchronous_commit\` default; only the seeding process turns it off for its own sessions).
On a machine with few cores the instances, PostgreSQL and the load generator share the same CPUs,
so a second instance adds no capacity there: it shows what coordinating through the database costs.

${pgTable.join('\n')}
`
    : ''
}
Raw figures, every run of every pair: \`bench/results.json\`. How the numbers were reached: \`docs/decisions/\` (performance records).
`;
  fs.writeFileSync(path.join(root, 'docs/benchmarks.md'), doc);
}
fs.rmSync(work, { recursive: true, force: true });
const failed = verdicts.filter((v) => !v.pass).length;
log(`${failed ? `${failed} target(s) FAIL` : 'all targets PASS'}${errorsSeen ? '; some runs saw errors or non-2xx answers' : ''} (${minutes.toFixed(1)} min)`);
