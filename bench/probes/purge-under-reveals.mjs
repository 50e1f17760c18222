// The bench's purge-under-reveals scenario alone, for comparing builds: `ticketvault serve` (purge
// timer every second) on a copy of a seeded vault, reveals of live credentials at 32 connections
// while N credentials fall due, baseline runs (bench/baseline-server.js) before and after.
//
//   node bench/probes/purge-under-reveals.mjs [--n 100000] [--runs 3] [--seconds 30] [--seed-dir DIR] [--tree DIR ...]
//
// Seeds once through bench/seed.js (N/100 tickets of 100 per doomed group, 10 000 live); --tree
// names built checkouts to measure (repeatable; runs alternate between them). Prints, per run, the
// purge pass's seconds (ticketvault_purge_last_duration_seconds), reveal p99 and its ratio to the
// mean of the two baseline p99s.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const Database = createRequire(path.join(repo, 'package.json'))('better-sqlite3');
const { values } = parseArgs({
  options: { n: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '30' }, 'seed-dir': { type: 'string' }, tree: { type: 'string', multiple: true } },
});
const n = Number(values.n);
const loadSeconds = Number(values.seconds);
const trees = values.tree?.length ? values.tree.map((t) => path.resolve(t)) : [repo];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const port = 18000 + Math.floor(Math.random() * 1000);
const env = {
  NODE_ENV: 'production',
  MASTER_KEY: Buffer.from('bench/probes/purge-reveals: 32 B').toString('base64'),
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  PORT: String(port),
  HOST: '127.0.0.1',
  CREDENTIAL_MAX_AGE_SECONDS: String(90 * 86400),
  CUSTOMER_RATE_LIMIT_PER_MINUTE: '0',
  PURGE_INTERVAL_SECONDS: '1',
  METRICS_TOKEN: crypto.randomBytes(32).toString('hex'),
  DATABASE_URL: '',
  LOG_LEVEL: 'warn',
};
const seedDir = values['seed-dir'] ? path.resolve(values['seed-dir']) : fs.mkdtempSync(path.join(os.tmpdir(), 'purge-reveals-seed-'));
const seeded = path.join(seedDir, `vault-${n}.db`);
const fixturesFile = path.join(seedDir, `fixtures-${n}.json`);
if (!fs.existsSync(seeded)) {
  fs.mkdirSync(seedDir, { recursive: true });
  const spec = path.join(seedDir, 'spec.json');
  fs.writeFileSync(spec, JSON.stringify({ engineers: 2, liveTickets: 1000, credentialsPerLiveTicket: 10, doomedTickets: Math.ceil(n / 100), credentialsPerDoomedTicket: 100, keepCredentialIds: 2000 }));
  process.stderr.write(`seeding into ${seeded}…\n`);
  // Tokens are signed for PUBLIC_URL: the seed and every run use the same one (and so the same port).
  const r = spawnSync(process.execPath, [path.join(trees[0], 'bench/seed.js'), spec, fixturesFile], { cwd: trees[0], env: { ...process.env, ...env, DATABASE_PATH: seeded }, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
  fs.writeFileSync(path.join(seedDir, `port-${n}`), String(port));
}
env.PORT = fs.readFileSync(path.join(seedDir, `port-${n}`), 'utf8');
env.PUBLIC_URL = `http://127.0.0.1:${env.PORT}`;
const fx = JSON.parse(fs.readFileSync(fixturesFile, 'utf8'));
const doomedRefs = fx.doomedGroups?.[0]?.refs ?? 'DOOM-%';
const doomedCount = fx.doomedGroups?.[0]?.credentials ?? fx.counts.doomedCredentials;
const base = env.PUBLIC_URL;

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
function start(args, extraEnv, stdout = 'ignore') {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...extraEnv }, stdio: ['ignore', stdout, 'ignore'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}
async function waitReady(url) {
  for (let i = 0; i < 3000; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await sleep(10);
  }
  throw new Error(`not ready: ${url}`);
}
function load(dir, spec) {
  const file = path.join(dir, `load-${crypto.randomUUID()}.json`);
  fs.writeFileSync(file, JSON.stringify(spec));
  const child = start([path.join(repo, 'bench/load.js'), file], {}, 'pipe');
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load exited ${code}`)))));
}
async function metric(name) {
  const text = await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${env.METRICS_TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

const reason = { reason: 'Customer asked us to fix the nightly upload (ZD-1042)' };
const pool = fx.liveCredentials.map((id, i) => ({ method: 'POST', path: `/api/v1/credentials/${id}/reveal`, headers: { authorization: `Bearer ${fx.tokens[i % fx.tokens.length]}` }, body: reason }));

async function once(tree) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purge-reveals-'));
  const file = path.join(dir, 'vault.db');
  fs.copyFileSync(seeded, file);
  const basePort = Number(env.PORT) + 1;
  const baseline = start([path.join(repo, 'bench/baseline-server.js')], { PORT: String(basePort) });
  await waitReady(`http://127.0.0.1:${basePort}/echo`);
  const baselineSpec = (duration) => ({ url: `http://127.0.0.1:${basePort}`, connections: 32, duration, pool: [{ method: 'POST', path: '/echo', body: reason }] });
  await load(dir, baselineSpec(2));
  const before = await load(dir, baselineSpec(8));
  const server = start([path.join(tree, 'bin/ticketvault.js'), 'serve'], { ...env, DATABASE_PATH: file });
  await waitReady(`${base}/readyz`);
  await load(dir, { url: base, connections: 32, duration: 2, pool });
  const purgedBefore = await metric('ticketvault_credentials_purged_total');
  const db = new Database(file);
  db.pragma('busy_timeout = 10000');
  db.prepare('UPDATE credentials SET expires_at = ? WHERE ticket_id IN (SELECT id FROM tickets WHERE external_ref LIKE ?)').run(Date.now() + 2000, doomedRefs);
  db.close();
  const reveals = load(dir, { url: base, connections: 32, duration: loadSeconds, pool });
  let purgeSeconds = null;
  for (const deadline = performance.now() + (loadSeconds + 60) * 1000; performance.now() < deadline; ) {
    await sleep(250);
    if ((await metric('ticketvault_credentials_purged_total')) - purgedBefore >= doomedCount) {
      purgeSeconds = await metric('ticketvault_purge_last_duration_seconds');
      break;
    }
  }
  const during = await reveals;
  await stop(server);
  const after = await load(dir, baselineSpec(8));
  await stop(baseline);
  fs.rmSync(dir, { recursive: true, force: true });
  const baselineP99 = (before.p99 + after.p99) / 2;
  return { purgeSeconds, revealRps: Math.round(during.rps), revealP99: during.p99, baselineP99, p99Ratio: +(during.p99 / baselineP99).toFixed(2), non2xx: during.non2xx + during.errors };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = new Map(trees.map((t) => [t, []]));
for (let run = 0; run < Number(values.runs); run++) {
  for (const tree of trees) {
    const r = await once(tree);
    results.get(tree).push(r);
    console.log(`${path.relative(process.cwd(), tree) || '.'} run ${run + 1}: ${JSON.stringify(r)}`);
  }
}
for (const [tree, rs] of results) {
  const purge = rs.map((r) => r.purgeSeconds ?? Infinity);
  console.log(`${path.relative(process.cwd(), tree) || '.'}: median purge ${median(purge).toFixed(2)} s, reveal p99 ${median(rs.map((r) => r.p99Ratio)).toFixed(2)}× baseline over ${rs.length} runs`);
}
if (!values['seed-dir']) fs.rmSync(seedDir, { recursive: true, force: true });
