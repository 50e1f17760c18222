import { randomFillSync } from 'node:crypto';

// The OS CSPRNG through node:crypto (libsodium-wrappers' randombytes_buf costs ~130 µs a call
// through its WebAssembly boundary). Small requests are served from a pool filled 16 KiB at a
// time: same generator, one call instead of several per request; served bytes are zeroed in
// the pool so no key material lingers there.
const POOL_BYTES = 16 * 1024;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  if (length > 1024) return randomFillSync(out);
  if (offset + length > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  out.set(pool.subarray(offset, offset + length));
  pool.fill(0, offset, offset + length);
  offset += length;
  return out;
}
