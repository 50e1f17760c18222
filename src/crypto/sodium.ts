import libsodium from 'libsodium-wrappers-sumo';

export type Sodium = typeof libsodium;

let ready = false;

/** Waits for libsodium's WebAssembly to load; the composition root awaits this once. */
export async function initSodium(): Promise<Sodium> {
  await libsodium.ready;
  ready = true;
  return libsodium;
}

export function sodium(): Sodium {
  if (!ready) throw new Error('libsodium used before initSodium() resolved');
  return libsodium;
}
