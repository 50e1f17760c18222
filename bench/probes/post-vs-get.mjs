// node bench/probes/post-vs-get.mjs: the bare stack (bench/baseline-server.js) answering GET and a POST with an intake-sized JSON body, 32 connections, 5 s each, twice.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const srv = spawn(process.execPath, [root + '/bench/baseline-server.js'], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((r) => srv.stdout.once('data', (d) => r(JSON.parse(d).port)));
const run = (spec) => new Promise((res) => {
  fs.writeFileSync(path.join(os.tmpdir(), 'post-vs-get-spec.json'), JSON.stringify(spec));
  const c = spawn(process.execPath, [root + '/bench/load.js', path.join(os.tmpdir(), 'post-vs-get-spec.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = ''; c.stdout.on('data', (d) => (out += d)); c.on('exit', () => res(JSON.parse(out)));
});
const body = { kind: 'teamviewer', label: 'TeamViewer 1', sealed: 'x'.repeat(160) };
for (let i = 0; i < 2; i++) {
  const g = await run({ url: `http://127.0.0.1:${port}`, connections: 32, duration: 5, pool: [{ path: '/echo' }] });
  const p = await run({ url: `http://127.0.0.1:${port}`, connections: 32, duration: 5, pool: [{ path: '/echo', method: 'POST', body }] });
  console.log('GET', g.rps.toFixed(0), 'p99', g.p99, '| POST', p.rps.toFixed(0), 'p99', p.p99, 'ratio', (p.rps / g.rps).toFixed(2));
}
srv.kill();
