// node bench/probes/reveal-ab.mjs [--full] [--rounds=N] [--seconds=S] VARIANT...
// A/B of the reveal scenario between vault variants, on one seeded database (quick sizes unless
// --full: the full bench's sizes). A VARIANT is `name=distDir` or `name=distDir|node args`; distDir
// is dist/ or a copy of it inside the repository (so node_modules resolve) with the migrations
// beside it: `mkdir -p .ab/b && cp -r dist .ab/b/dist && ln -s ../../migrations .ab/b/migrations`,
// then edit .ab/b/dist (git ignores .ab/). E.g. `a=dist` `b=.ab/b/dist` `c=dist|--max-semi-space-size=32`.
// Each round starts every variant fresh in turn (order rotating per round), warms it 2 s, loads
// it S seconds (32 connections) and reads its CPU from /proc; prints req/s and server CPU µs per
// reveal for each run and the medians per variant. The variant `baseline` is bench/baseline-server.js
// sent the same requests at /echo (as bench/run.js does), so its req/s gives the bench's ratio.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { benchVaultEnv, revealPoolFor } from '../vault-env.js';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const opt = (n, d) => Number(args.find((a) => a.startsWith(`--${n}=`))?.split('=')[1] ?? d);
const full = args.includes('--full');
const rounds = opt('rounds', 4);
const seconds = opt('seconds', 5);
const variants = args
  .filter((a) => !a.startsWith('--'))
  .map((v) => {
    if (v === 'baseline') return { name: v, baseline: true, nodeArgs: [], runs: [] };
    const [name, rest] = v.split(/=(.*)/s);
    const [dist, nodeArgs = ''] = rest.split('|');
    return { name, dist: path.resolve(root, dist), nodeArgs: nodeArgs.split(' ').filter(Boolean), runs: [] };
  });
if (variants.length < 1) throw new Error('name=distDir[|node args] …');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'reveal-ab-'));
process.on('exit', (code) => code && console.error(`failed: the servers' logs are in ${work}`));
const port = await new Promise((r) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = s.address();
    s.close(() => r(p));
  });
});
const env = { ...process.env, ...benchVaultEnv(work, port) };
const sizes = full
  ? { engineers: 8, liveTickets: 10_000, credentialsPerLiveTicket: 10, doomedTickets: 1000, credentialsPerDoomedTicket: 100, auditEvents: 1_000_000, keepCredentialIds: 20000 }
  : { engineers: 4, liveTickets: 1000, credentialsPerLiveTicket: 10, doomedTickets: 0, credentialsPerDoomedTicket: 0, auditEvents: 100_000, keepCredentialIds: 3000 };
fs.writeFileSync(path.join(work, 'spec.json'), JSON.stringify(sizes));
const seeded = spawnSync(process.execPath, [path.join(root, 'bench/seed.js'), path.join(work, 'spec.json'), path.join(work, 'fx.json')], { env, encoding: 'utf8' });
if (seeded.status !== 0) throw new Error(seeded.stderr);
const fx = JSON.parse(fs.readFileSync(path.join(work, 'fx.json'), 'utf8'));
const pool = revealPoolFor(fx);

const cpu = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
function load(duration, url, requests) {
  const file = path.join(work, 'load.json');
  fs.writeFileSync(file, JSON.stringify({ url, connections: 32, duration, pool: requests }));
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [path.join(root, 'bench/load.js'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load exited ${code}`))));
  });
}
async function ready(url) {
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('not ready');
}
async function runVariant(v) {
  const entry = path.join(work, `entry-${v.name}.mjs`);
  fs.writeFileSync(entry, `const { runCli } = await import(${JSON.stringify(path.join(v.dist ?? '', 'cli/main.js'))});\nprocess.exitCode = await runCli(process.argv);\n`);
  const child = v.baseline
    ? spawn(process.execPath, [path.join(root, 'bench/baseline-server.js')], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' })
    : spawn(process.execPath, [...v.nodeArgs, entry, 'serve'], { cwd: root, env, stdio: ['ignore', 'ignore', fs.openSync(path.join(work, `${v.name}.log`), 'a')] });
  const requests = v.baseline ? pool.map((r) => ({ ...r, path: '/echo' })) : pool;
  try {
    await ready(`${env.PUBLIC_URL}${v.baseline ? '/echo' : '/readyz'}`);
    await load(2, env.PUBLIC_URL, requests);
    const c0 = cpu(child.pid);
    const r = await load(seconds, env.PUBLIC_URL, requests);
    const used = cpu(child.pid) - c0;
    const run = { rps: r.rps, p99: r.p99, cpuUs: (used / r.requests) * 1e6, cpu: used / r.durationS, non2xx: r.non2xx + r.errors };
    v.runs.push(run);
    console.log(`${v.name.padEnd(12)} ${run.rps.toFixed(0).padStart(6)} req/s  p99 ${String(run.p99).padStart(3)} ms  ${run.cpuUs.toFixed(0)} µs CPU/reveal  (${(run.cpu * 100).toFixed(0)}% CPU${run.non2xx ? `, ${run.non2xx} failed` : ''})`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (let i = 0; i < rounds; i++) {
  const order = variants.map((_, k) => variants[(k + i) % variants.length]);
  for (const v of order) await runVariant(v);
}
console.log('--- medians');
for (const v of variants) {
  console.log(`${v.name.padEnd(12)} ${median(v.runs.map((r) => r.rps)).toFixed(0).padStart(6)} req/s  ${median(v.runs.map((r) => r.cpuUs)).toFixed(0)} µs CPU/reveal`);
}
fs.rmSync(work, { recursive: true, force: true });
