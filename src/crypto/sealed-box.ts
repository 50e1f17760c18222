import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { sodium } from './sodium.js';

export interface BoxKeyPair {
  id: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export class SealedBoxInvalid extends Error {}

export function generateBoxKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const pair = sodium().crypto_box_keypair();
  return { publicKey: pair.publicKey, secretKey: pair.privateKey };
}

const PUBLIC_KEY_BYTES = 32;
const HSALSA20_INPUT = new Uint8Array(16);
const privateKeyObjects = new WeakMap<Uint8Array, KeyObject>();

const x25519Jwk = (publicKey: Uint8Array, secretKey?: Uint8Array) => ({
  kty: 'OKP',
  crv: 'X25519',
  x: Buffer.from(publicKey).toString('base64url'),
  ...(secretKey ? { d: Buffer.from(secretKey).toString('base64url') } : {}),
});

/** X25519 in OpenSSL's native code, half the time of libsodium's WebAssembly; null for a low-order point (all-zero secret), as libsodium refuses it. */
function x25519(pair: BoxKeyPair, theirPublicKey: Uint8Array): Buffer | null {
  let privateKey = privateKeyObjects.get(pair.secretKey);
  if (!privateKey) {
    privateKey = createPrivateKey({ key: x25519Jwk(pair.publicKey, pair.secretKey), format: 'jwk' });
    privateKeyObjects.set(pair.secretKey, privateKey);
  }
  try {
    return diffieHellman({ privateKey, publicKey: createPublicKey({ key: x25519Jwk(theirPublicKey), format: 'jwk' }) });
  } catch {
    return null;
  }
}

/** libsodium's crypto_box_seal_open step for step (key = HSalsa20(X25519), nonce = BLAKE2b-192(epk ‖ pk)) with the X25519 above; null when it does not open. */
function sealOpen(box: Uint8Array, pair: BoxKeyPair): Uint8Array | null {
  const ephemeral = box.subarray(0, PUBLIC_KEY_BYTES);
  const shared = x25519(pair, ephemeral);
  if (!shared) return null;
  const s = sodium();
  const key = s.crypto_core_hsalsa20(HSALSA20_INPUT, shared, null);
  shared.fill(0);
  const nonceInput = new Uint8Array(2 * PUBLIC_KEY_BYTES);
  nonceInput.set(ephemeral);
  nonceInput.set(pair.publicKey, PUBLIC_KEY_BYTES);
  try {
    return s.crypto_box_open_easy_afternm(box.subarray(PUBLIC_KEY_BYTES), s.crypto_generichash(s.crypto_box_NONCEBYTES, nonceInput, null), key);
  } catch {
    return null;
  } finally {
    key.fill(0);
  }
}

/**
 * Opens a crypto_box_seal ciphertext (base64url, no padding) made in the browser for one of
 * the intake public keys; the newest key is tried first, retired ones cover pages opened before
 * a rotation.
 */
export function openSealedBox(sealed: string, keyPairs: BoxKeyPair[]): Uint8Array {
  if (!/^[A-Za-z0-9_-]+$/.test(sealed)) throw new SealedBoxInvalid('sealed is not base64url');
  const box = new Uint8Array(Buffer.from(sealed, 'base64url'));
  if (box.length < sodium().crypto_box_SEALBYTES) throw new SealedBoxInvalid('sealed is too short');
  for (const pair of keyPairs) {
    const plaintext = sealOpen(box, pair);
    if (plaintext) return plaintext;
  }
  throw new SealedBoxInvalid('sealed does not open with the intake key');
}

/** For tests and scripted clients: what the intake page does in the browser. */
export function sealForPublicKey(plaintext: string, publicKey: Uint8Array): string {
  return Buffer.from(sodium().crypto_box_seal(plaintext, publicKey)).toString('base64url');
}
