import os from 'node:os';
import { openSealedBox, SealedBoxInvalid, type BoxKeyPair } from './sealed-box.js';
import { createSodiumThreads } from './sodium-threads.js';

/** Opens intake boxes (crypto_box_seal) off the event loop, or in it when no thread is wanted. */
export interface SealedBoxOpener {
  open(sealed: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

// Opening an intake box is the largest single cost of a submission (in the loop it is
// openSealedBox, with node:crypto's X25519; on a thread, libsodium's own crypto_box_seal_open,
// which sealed-box.test.ts holds the other to): on its own thread it no longer holds the loop.
// The key pairs go to each thread once, as workerData.
const HANDLER = `(sodium, sealed, { pairs }) => {
  const box = Buffer.from(sealed, 'base64url');
  if (box.length < sodium.crypto_box_SEALBYTES) return null;
  for (const pair of pairs) {
    try {
      return sodium.crypto_box_seal_open(box, pair.publicKey, pair.secretKey);
    } catch {}
  }
  return null;
}`;

/**
 * Threads only where there are cores to spare: measured on two cores, a worker thread left intake
 * throughput unchanged (the machine was CPU-bound either way) and added its own overhead, so two
 * cores or fewer open boxes in the event loop; larger machines get up to two threads.
 */
export const defaultSealedBoxThreads = () => Math.max(0, Math.min(2, os.availableParallelism() - 2));

/**
 * `threads` 0 opens boxes on the calling thread (tests, small installs); 1 or more starts that
 * many worker threads on first use, handing jobs round-robin.
 */
export function createSealedBoxOpener(keyPairs: BoxKeyPair[], threads: number): SealedBoxOpener {
  if (threads < 1) {
    return { open: async (sealed) => openSealedBox(sealed, keyPairs), close: async () => {} };
  }
  const pairs = keyPairs.map((p) => ({ publicKey: p.publicKey, secretKey: p.secretKey }));
  const pool = createSodiumThreads<string, Uint8Array | null>({ name: 'sealed-box worker', threads, handler: HANDLER, workerData: { pairs } });
  return {
    async open(sealed) {
      if (!/^[A-Za-z0-9_-]+$/.test(sealed)) throw new SealedBoxInvalid('sealed is not base64url');
      const plaintext = await pool.run(sealed);
      if (!plaintext) throw new SealedBoxInvalid('sealed does not open with the intake key');
      return plaintext;
    },
    close: () => pool.close(),
  };
}
