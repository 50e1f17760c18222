import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { openSealedBox, SealedBoxInvalid, type BoxKeyPair } from './sealed-box.js';

/** Opens intake boxes (crypto_box_seal) off the event loop, or in it when no thread is wanted. */
export interface SealedBoxOpener {
  open(sealed: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

// Plain CommonJS run with `eval` (as the password worker is), so it needs no build step; it loads
// the same libsodium package. The X25519 in crypto_box_seal_open (~150–190 µs in WebAssembly) is
// the largest single cost of an intake submission: on its own thread it no longer holds the loop.
const workerSource = (sodiumPath: string) => `
const { parentPort, workerData } = require('node:worker_threads');
const sodium = require(${JSON.stringify(sodiumPath)});
const pairs = workerData.pairs;
parentPort.on('message', async ({ id, sealed }) => {
  await sodium.ready;
  const box = Buffer.from(sealed, 'base64url');
  for (const pair of box.length >= sodium.crypto_box_SEALBYTES ? pairs : []) {
    try {
      const plaintext = sodium.crypto_box_seal_open(box, pair.publicKey, pair.secretKey);
      parentPort.postMessage({ id, plaintext }, [plaintext.buffer]);
      return;
    } catch {}
  }
  parentPort.postMessage({ id, plaintext: null });
});`;

/**
 * Threads only where there are cores to spare: measured on two cores, a worker thread left intake
 * throughput unchanged (the machine was CPU-bound either way) and added its own overhead, so two
 * cores or fewer open boxes in the event loop; larger machines get up to two threads.
 */
export const defaultSealedBoxThreads = () => Math.max(0, Math.min(2, os.availableParallelism() - 2));

type Job = { resolve: (value: Uint8Array) => void; reject: (error: Error) => void };

/**
 * `threads` 0 opens boxes on the calling thread (tests, small installs); 1 or more starts that
 * many worker threads on first use, handing jobs round-robin.
 */
export function createSealedBoxOpener(keyPairs: BoxKeyPair[], threads: number): SealedBoxOpener {
  if (threads < 1) {
    return { open: async (sealed) => openSealedBox(sealed, keyPairs), close: async () => {} };
  }
  const workers: Worker[] = [];
  const pending = new Map<number, Job>();
  let nextId = 1;
  let turn = 0;

  const start = (): Worker => {
    const sodiumPath = createRequire(import.meta.url).resolve('libsodium-wrappers-sumo');
    const pairs = keyPairs.map((p) => ({ publicKey: p.publicKey, secretKey: p.secretKey }));
    const w = new Worker(workerSource(sodiumPath), { eval: true, workerData: { pairs } });
    w.unref();
    w.on('message', ({ id, plaintext }: { id: number; plaintext: Uint8Array | null }) => {
      const job = pending.get(id);
      pending.delete(id);
      if (!job) return;
      if (plaintext) job.resolve(new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength));
      else job.reject(new SealedBoxInvalid('sealed does not open with the intake key'));
    });
    const fail = (error: Error) => {
      const at = workers.indexOf(w);
      if (at >= 0) workers.splice(at, 1);
      // Jobs on a dead thread cannot be told apart cheaply; fail them all (callers answer 5xx).
      for (const job of pending.values()) job.reject(error);
      pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => code !== 0 && fail(new Error(`sealed-box worker exited with ${code}`)));
    return w;
  };

  return {
    open(sealed) {
      if (!/^[A-Za-z0-9_-]+$/.test(sealed)) return Promise.reject(new SealedBoxInvalid('sealed is not base64url'));
      while (workers.length < threads) workers.push(start());
      const worker = workers[turn++ % workers.length]!;
      const id = nextId++;
      return new Promise<Uint8Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, sealed });
      });
    },
    async close() {
      await Promise.all(workers.splice(0).map((w) => w.terminate()));
    },
  };
}
