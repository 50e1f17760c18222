import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { jest } from '@jest/globals';

// Issue 12, finding 12: MASTER_KEY leaves process.env once read, so a child process or a worker
// thread started afterwards never inherits it. A real Node process runs the built config module
// (jest gives each test file its own copy of process.env, which a child would not see).

jest.setTimeout(60_000);

const ROOT = path.resolve(import.meta.dirname, '..');
const KEY = Buffer.alloc(32, 9).toString('base64');

beforeAll(() => {
  spawnSync(process.execPath, [path.join(ROOT, 'bin', 'ticketvault.js'), '--help'], { cwd: ROOT, stdio: 'ignore', timeout: 150_000 });
}, 160_000);

const PROBE = `
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { readConfig } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', 'config.js')).href)};
const config = readConfig();
const show = 'process.stdout.write(process.env.MASTER_KEY ?? "absent")';
const child = execFileSync(process.execPath, ['-e', show], { encoding: 'utf8' });
const worker = await new Promise((resolve, reject) => {
  const w = new Worker('require("node:worker_threads").parentPort.postMessage(process.env.MASTER_KEY ?? "absent")', { eval: true, execArgv: [] });
  w.once('message', resolve);
  w.once('error', reject);
});
console.log(JSON.stringify({ read: config.masterKey, again: readConfig().masterKey, here: process.env.MASTER_KEY ?? 'absent', child, worker }));
`;

describe('MASTER_KEY in the process environment', () => {
  it('is read into the config, then gone for this process, its later children and its worker threads', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', MASTER_KEY: KEY },
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim())).toEqual({ read: KEY, again: KEY, here: 'absent', child: 'absent', worker: 'absent' });
  });
});
