import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// The real `bin/ticketvault.js` in a child process, against a real database file (DESIGN.md "CLI").

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin', 'ticketvault.js');
export const MASTER_KEY = Buffer.alloc(32, 7).toString('base64'); // the key createTestVault uses
export const PUBLIC_URL = 'https://vault.example.test';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Only the keys given reach the child: nothing from the developer's shell leaks into its config. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', NODE_ENV: 'test', MASTER_KEY, PUBLIC_URL, LOG_LEVEL: 'warn', ...env };
}

export function runCli(args: string[], env: Record<string, string>, options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const item of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, item.name);
    newest = Math.max(newest, item.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * The bin rebuilds dist/ when src/ is newer; children started together would each run tsc.
 * Building here first (same staleness rule) keeps them fast. tsc emits even when a
 * work-in-progress file elsewhere fails to type-check; the bin only needs the output.
 */
export function buildIfStale() {
  const entry = path.join(ROOT, 'dist', 'cli', 'main.js');
  if (fs.existsSync(entry) && newestMtime(path.join(ROOT, 'src')) <= fs.statSync(entry).mtimeMs) return;
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: 'ignore',
    timeout: 120_000,
  });
  fs.utimesSync(entry, new Date(), new Date());
}

export interface ServingProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
}

/**
 * `ticketvault serve` in a child process on a free port, once it says where it listens. Outside
 * production `serve` refuses an https PUBLIC_URL, so it gets an http one unless `env` says otherwise.
 */
export async function startServe(env: Record<string, string>): Promise<ServingProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: cliEnv({ PORT: '0', HOST: '127.0.0.1', PURGE_INTERVAL_SECONDS: '3600', PUBLIC_URL: 'http://vault.example.test', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time: ${stderr}`)), 15_000);
    const listening = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (!match) return;
      clearTimeout(timer);
      child.stderr!.off('data', listening);
      resolve(match[1]!);
    };
    child.stderr!.on('data', listening);
    child.once('exit', (code) => reject(new Error(`serve exited early (${code}): ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

/** Kills the child with `signal` and waits for it to be gone. */
export function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return exited;
}
