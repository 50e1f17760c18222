import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { sodium } from './sodium.js';

// argon2id through libsodium's crypto_pwhash_str (the encoded string carries salt and limits).
export function hashPassword(password: string): string {
  const s = sodium();
  return s.crypto_pwhash_str(password, s.crypto_pwhash_OPSLIMIT_INTERACTIVE, s.crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

export function verifyPassword(hash: string, password: string): boolean {
  try {
    return sodium().crypto_pwhash_str_verify(hash, password);
  } catch {
    return false;
  }
}

/** argon2id off the event loop: sign-in (reachable by anyone) must not stall reveals for half a second. */
export interface Passwords {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  close(): Promise<void>;
}

const IDLE_MS = 60_000;

// The worker is plain CommonJS run with `eval`, so it needs no build step and no file beside the
// compiled code; it loads the same libsodium package the main thread uses.
const workerSource = (sodiumPath: string) => `
const { parentPort } = require('node:worker_threads');
const sodium = require(${JSON.stringify(sodiumPath)});
parentPort.on('message', async ({ id, op, hash, password }) => {
  await sodium.ready;
  let result;
  try {
    result = op === 'hash'
      ? sodium.crypto_pwhash_str(password, sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE, sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE)
      : sodium.crypto_pwhash_str_verify(hash, password);
  } catch {
    result = op === 'hash' ? null : false;
  }
  parentPort.postMessage({ id, result });
});`;

type Job = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/**
 * One worker thread, started on first use and stopped after a minute idle (its 64 MiB of argon2
 * memory goes with it). Jobs run one at a time, which also bounds memory under a login flood.
 */
export function createPasswords(): Passwords {
  let worker: Worker | null = null;
  let idle: NodeJS.Timeout | null = null;
  let nextId = 1;
  const pending = new Map<number, Job>();

  const stop = async () => {
    const w = worker;
    worker = null;
    if (idle) clearTimeout(idle);
    if (w) await w.terminate();
  };

  const start = (): Worker => {
    const sodiumPath = createRequire(import.meta.url).resolve('libsodium-wrappers-sumo');
    const w = new Worker(workerSource(sodiumPath), { eval: true });
    w.unref();
    w.on('message', ({ id, result }: { id: number; result: unknown }) => {
      const job = pending.get(id);
      pending.delete(id);
      if (!job) return;
      if (result === null) job.reject(new Error('password hashing failed'));
      else job.resolve(result);
      if (pending.size === 0) idle = setTimeout(() => void stop(), IDLE_MS).unref();
    });
    const failAll = (error: Error) => {
      if (worker === w) worker = null;
      for (const job of pending.values()) job.reject(error);
      pending.clear();
    };
    w.on('error', failAll);
    w.on('exit', () => failAll(new Error('password worker stopped')));
    return w;
  };

  function run<T>(message: { op: 'hash' | 'verify'; hash?: string; password: string }): Promise<T> {
    if (idle) clearTimeout(idle);
    worker ??= start();
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker!.postMessage({ id, ...message });
    });
  }

  return {
    hash: (password) => run<string>({ op: 'hash', password }),
    verify: (hash, password) => run<boolean>({ op: 'verify', hash, password }),
    close: stop,
  };
}
