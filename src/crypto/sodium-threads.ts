import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Worker threads that run one libsodium call each, so slow crypto (argon2id, X25519) does not hold
 * the event loop. The worker is plain CommonJS run with `eval`: no build step and no file beside
 * the compiled code, and it loads the same libsodium package the main thread uses.
 */
export interface SodiumThreads<Job, Result> {
  /** Runs `job` on the next thread (round-robin); resolves with the handler's result. */
  run(job: Job): Promise<Result>;
  close(): Promise<void>;
}

export interface SodiumThreadsOptions {
  /** Names the threads in errors ("password worker stopped"). */
  name: string;
  /** How many threads to start on first use. */
  threads: number;
  /**
   * Source of a JS function `(sodium, job, workerData) => result` run inside the thread. A
   * Uint8Array result is transferred, not copied. A thrown error rejects the job with a plain
   * Error naming nothing from the job.
   */
  handler: string;
  /** Cloned into each thread once (e.g. key pairs), instead of into every job. */
  workerData?: unknown;
  /** Stop the threads after this long without a job (their memory goes with them); 0 never. */
  idleMs?: number;
}

const workerSource = (sodiumPath: string, handler: string) => `
const { parentPort, workerData } = require('node:worker_threads');
const sodium = require(${JSON.stringify(sodiumPath)});
const handle = (${handler});
parentPort.on('message', async ({ id, job }) => {
  await sodium.ready;
  let result;
  try {
    result = handle(sodium, job, workerData);
  } catch {
    parentPort.postMessage({ id, failed: true });
    return;
  }
  parentPort.postMessage({ id, result }, result instanceof Uint8Array ? [result.buffer] : []);
});`;

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; worker: Worker };

export function createSodiumThreads<Job, Result>(options: SodiumThreadsOptions): SodiumThreads<Job, Result> {
  const { name, threads, handler, workerData, idleMs = 0 } = options;
  const workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let turn = 0;
  let idle: NodeJS.Timeout | null = null;

  const stop = async () => {
    if (idle) clearTimeout(idle);
    idle = null;
    await Promise.all(workers.splice(0).map((w) => w.terminate()));
  };

  const start = (): Worker => {
    const sodiumPath = createRequire(import.meta.url).resolve('libsodium-wrappers-sumo');
    const w = new Worker(workerSource(sodiumPath, handler), { eval: true, workerData });
    w.unref();
    w.on('message', ({ id, result, failed }: { id: number; result?: unknown; failed?: boolean }) => {
      const job = pending.get(id);
      pending.delete(id);
      if (!job) return;
      if (failed) job.reject(new Error(`${name} failed`));
      else job.resolve(result);
      if (idleMs > 0 && pending.size === 0) idle = setTimeout(() => void stop(), idleMs).unref();
    });
    // A thread that dies takes only its own jobs with it; the next job starts a fresh one.
    const fail = (error: Error) => {
      const at = workers.indexOf(w);
      if (at >= 0) workers.splice(at, 1);
      for (const [id, job] of pending) {
        if (job.worker !== w) continue;
        pending.delete(id);
        job.reject(error);
      }
    };
    w.on('error', fail);
    w.on('exit', () => fail(new Error(`${name} stopped`)));
    return w;
  };

  return {
    run(job) {
      if (idle) clearTimeout(idle);
      idle = null;
      while (workers.length < threads) workers.push(start());
      const worker = workers[turn++ % workers.length]!;
      const id = nextId++;
      return new Promise<Result>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject, worker });
        worker.postMessage({ id, job });
      });
    },
    close: stop,
  };
}
