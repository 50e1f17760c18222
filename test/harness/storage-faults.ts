import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

// Real storage faults for tests: a second process holding SQLite's write lock, a small tmpfs
// filled to the last byte, files made immutable (root ignores file modes, not chattr +i).

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

// The second process: takes the write lock (BEGIN IMMEDIATE), says so, and keeps it until its stdin closes.
const LOCK_HOLDER = `
const Database = require(${JSON.stringify(BETTER_SQLITE3)});
const db = new Database(process.argv[1], { timeout: 10000 });
db.exec('BEGIN IMMEDIATE');
process.stdout.write('held\\n');
process.stdin.resume();
process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
`;

export interface HeldLock {
  release(): Promise<void>;
}

/** Another process holds the database's write lock until `release()`. */
export async function holdWriteLock(databasePath: string): Promise<HeldLock> {
  const child = spawn(process.execPath, ['-e', LOCK_HOLDER, databasePath], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('held')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code} before taking the lock`)));
  });
  return {
    release: async () => {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Mounts a tmpfs of `bytes` on a fresh folder, or returns null where mounting is refused (not root, no capability). */
export function mountTmpfs(bytes: number): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-tmpfs-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
  if (mounted.status === 0) return dir;
  fs.rmdirSync(dir);
  return null;
}

export function unmountTmpfs(dir: string): void {
  spawnSync('umount', [dir], { stdio: 'ignore' });
  fs.rmSync(dir, { recursive: true, force: true });
}

export const canMountTmpfs = (() => {
  let answer: boolean | undefined;
  return () => {
    if (answer === undefined) {
      const dir = mountTmpfs(1 << 20);
      answer = dir !== null;
      if (dir) unmountTmpfs(dir);
    }
    return answer;
  };
})();

/** Writes a filler file into `dir` until its file system has no byte left; returns what frees it again. */
export function fillFileSystem(dir: string): () => void {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
      try {
        for (;;) fs.writeSync(fd, chunk, 0, size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return () => fs.rmSync(filler, { force: true });
}

/** Sets or clears the immutable attribute (chattr ±i): even root can then neither write nor extend the files. */
export function setImmutable(files: string[], on: boolean): void {
  const existing = files.filter((f) => fs.existsSync(f));
  const r = spawnSync('chattr', [on ? '+i' : '-i', ...existing], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`chattr failed: ${r.stderr}`);
}

export const canChattr = (() => {
  let answer: boolean | undefined;
  return () => {
    if (answer === undefined) {
      const probe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tv-chattr-')), 'probe');
      fs.writeFileSync(probe, '');
      answer = spawnSync('chattr', ['+i', probe], { stdio: 'ignore' }).status === 0;
      if (answer) spawnSync('chattr', ['-i', probe], { stdio: 'ignore' });
      fs.rmSync(path.dirname(probe), { recursive: true, force: true });
    }
    return answer;
  };
})();
