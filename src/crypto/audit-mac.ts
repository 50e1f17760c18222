import { sodium } from './sodium.js';

/** Keyed BLAKE2b-256 over an audit row's canonical bytes. */
export function auditMac(key: Uint8Array, message: Uint8Array): Uint8Array {
  return sodium().crypto_generichash(32, message, key);
}
