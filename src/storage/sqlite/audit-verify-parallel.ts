import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { combineRanges, GENESIS, type RangeCheck, type VerifyResult } from '../../audit/audit-chain.js';

/** Below this many rows one thread is quicker than starting workers. */
export const PARALLEL_THRESHOLD = 200_000;

export interface ParallelVerifyInput {
  databasePath: string;
  auditKey: Uint8Array;
  maxSeq: number;
  workers: number;
  head?: string;
}

export const defaultVerifyWorkers = (rows: number) => (rows >= PARALLEL_THRESHOLD ? Math.min(4, Math.max(1, os.availableParallelism())) : 1);

const WORKER_URL = new URL('./audit-verify-worker.js', import.meta.url);

/** Whether the compiled worker exists (it does under dist/; not when running TypeScript sources in tests). */
export const canVerifyInParallel = () => WORKER_URL.protocol === 'file:' && fs.existsSync(WORKER_URL);

/**
 * Walks the chain on several threads: each checks a contiguous seq range on its own connection,
 * then the ranges must link up (each range's first prevHash is the previous range's last hash).
 * Same verdict as the one-thread walk, in a fraction of the time for millions of rows.
 */
export async function verifyChainInParallel(input: ParallelVerifyInput): Promise<VerifyResult> {
  const head = input.head?.toLowerCase();
  const size = Math.ceil(Math.max(1, input.maxSeq) / input.workers);
  const ranges = await Promise.all(
    Array.from({ length: input.workers }, (_, i) => {
      const fromSeq = i * size + 1;
      const toSeq = i === input.workers - 1 ? Number.MAX_SAFE_INTEGER : (i + 1) * size;
      return runWorker({ databasePath: input.databasePath, auditKey: input.auditKey, fromSeq, toSeq, first: i === 0, head });
    }),
  );
  return combineRanges(ranges, head);
}

interface WorkerInput {
  databasePath: string;
  auditKey: Uint8Array;
  fromSeq: number;
  toSeq: number;
  first: boolean;
  head?: string;
}

function runWorker(workerData: WorkerInput): Promise<RangeCheck> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData });
    worker.once('message', (raw: RangeCheck) => {
      const buf = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b));
      resolve({ ...raw, firstPrev: buf(raw.firstPrev), lastHash: buf(raw.lastHash) ?? (workerData.first ? GENESIS : null) });
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`audit verify worker exited with ${code}`));
    });
  });
}

