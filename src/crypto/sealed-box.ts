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
    try {
      return sodium().crypto_box_seal_open(box, pair.publicKey, pair.secretKey);
    } catch {
      // try the next (older) key pair
    }
  }
  throw new SealedBoxInvalid('sealed does not open with the intake key');
}

/** For tests and scripted clients: what the intake page does in the browser. */
export function sealForPublicKey(plaintext: string, publicKey: Uint8Array): string {
  return Buffer.from(sodium().crypto_box_seal(plaintext, publicKey)).toString('base64url');
}
