// Where an unloaded purge pass's time goes (after a build). Seeds, once, a vault through
// bench/seed.js (N/100 tickets of 100 credentials in each doomed group, 1 000 live ones), then for
// each run copies that file, makes N of them due, and times one `runPurge` in process: wall seconds, this
// process's CPU seconds, and (--statements) the time spent in each SQL statement.
//
//   node bench/probes/purge-parts.mjs [--n 100000] [--runs 3] [--seed-dir DIR] [--statements] [--tree DIR ...]
//
// --tree names a built checkout to measure instead of this one (repeatable: the runs alternate
// between the trees, so a noisy host slows each alike); --seed-dir keeps the seeded file for the
// next invocation.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const Database = createRequire(path.join(repo, 'package.json'))('better-sqlite3');
const { values } = parseArgs({
  options: { n: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' }, 'seed-dir': { type: 'string' }, statements: { type: 'boolean', default: false }, tree: { type: 'string', multiple: true } },
});
const n = Number(values.n);
const trees = values.tree?.length ? values.tree.map((t) => path.resolve(t)) : [repo];
const env = {
  NODE_ENV: 'production',
  MASTER_KEY: Buffer.from('bench/probes/purge-parts: 32 B!!').toString('base64'),
  PUBLIC_URL: 'http://127.0.0.1:8080',
  CREDENTIAL_MAX_AGE_SECONDS: String(90 * 86400),
  CUSTOMER_RATE_LIMIT_PER_MINUTE: '0',
  DATABASE_URL: '',
  LOG_LEVEL: 'warn',
};
const seedDir = values['seed-dir'] ? path.resolve(values['seed-dir']) : fs.mkdtempSync(path.join(os.tmpdir(), 'purge-parts-seed-'));
const seeded = path.join(seedDir, `vault-${n}.db`);
if (!fs.existsSync(seeded)) {
  fs.mkdirSync(seedDir, { recursive: true });
  const spec = path.join(seedDir, 'spec.json');
  fs.writeFileSync(spec, JSON.stringify({ engineers: 1, liveTickets: 100, credentialsPerLiveTicket: 10, doomedTickets: Math.ceil(n / 100), credentialsPerDoomedTicket: 100, keepCredentialIds: 0 }));
  process.stderr.write(`seeding ${n} credentials into ${seeded}…\n`);
  const r = spawnSync(process.execPath, [path.join(trees[0], 'bench/seed.js'), spec, path.join(seedDir, 'fixtures.json')], { cwd: trees[0], env: { ...process.env, ...env, DATABASE_PATH: seeded }, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}

// bench/seed.js seeds two doomed groups of N (the bench's two purges); one is made due.
const doomedRefs = JSON.parse(fs.readFileSync(path.join(seedDir, 'fixtures.json'), 'utf8')).doomedGroups?.[0]?.refs ?? 'DOOM-%';

/** Time per SQL statement (and exec: BEGIN, COMMIT), while `timing`. */
const statements = new Map();
let timing = false;
if (values.statements) {
  const note = (key, started) => {
    if (!timing) return;
    const e = statements.get(key) ?? { ms: 0, count: 0 };
    e.ms += performance.now() - started;
    e.count++;
    statements.set(key, e);
  };
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1'));
  probe.close();
  for (const m of ['run', 'all', 'get']) {
    const f = proto[m];
    proto[m] = function (...a) {
      const t = performance.now();
      try {
        return f.apply(this, a);
      } finally {
        note(this.source.replace(/\s+/g, ' ').slice(0, 72), t);
      }
    };
  }
  // exec carries BEGIN and COMMIT; pragma() runs a statement, timed above.
  const exec = Database.prototype.exec;
  Database.prototype.exec = function (sql) {
    const t = performance.now();
    try {
      return exec.call(this, sql);
    } finally {
      note(`exec ${String(sql).slice(0, 40)}`, t);
    }
  };
}

async function once(tree) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'purge-parts-'));
  const file = path.join(dir, 'vault.db');
  fs.copyFileSync(seeded, file);
  const db = new Database(file);
  db.prepare('UPDATE credentials SET expires_at = ? WHERE ticket_id IN (SELECT id FROM tickets WHERE external_ref LIKE ?)').run(Date.now() - 1000, doomedRefs);
  db.close();
  const { parseConfig } = await import(`${tree}/dist/config.js`);
  const { createLogger } = await import(`${tree}/dist/logger.js`);
  const { composeVault } = await import(`${tree}/dist/main.js`);
  const vault = await composeVault(parseConfig({ ...env, DATABASE_PATH: file }), { log: createLogger('warn') });
  statements.clear();
  timing = true;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const summary = await vault.purge.runPurge();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  timing = false;
  await vault.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, summary };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = new Map(trees.map((t) => [t, []]));
for (let run = 0; run < Number(values.runs); run++) {
  for (const tree of trees) {
    const r = await once(tree);
    results.get(tree).push(r);
    console.log(`${path.relative(process.cwd(), tree) || '.'} run ${run + 1}: ${r.seconds.toFixed(2)} s, CPU ${r.cpuSeconds.toFixed(2)} s ${JSON.stringify(r.summary)}`);
    if (values.statements) {
      let sql = 0;
      for (const [k, v] of [...statements].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
        sql += v.ms;
        console.log(`  ${(v.ms / 1000).toFixed(2).padStart(6)} s ${String(v.count).padStart(7)}× ${(v.ms * 1000 / v.count).toFixed(1).padStart(9)} µs  ${k}`);
      }
      console.log(`  ${(r.seconds - sql / 1000).toFixed(2).padStart(6)} s  outside SQLite statements (JS, hashing, awaits)`);
    }
  }
}
for (const [tree, rs] of results) {
  console.log(`${path.relative(process.cwd(), tree) || '.'}: median ${median(rs.map((r) => r.seconds)).toFixed(2)} s, CPU ${median(rs.map((r) => r.cpuSeconds)).toFixed(2)} s over ${rs.length} runs`);
}
if (!values['seed-dir']) fs.rmSync(seedDir, { recursive: true, force: true });
