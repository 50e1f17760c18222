import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { sodium } from './sodium.js';

export interface SigningKeyPair {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A fresh Ed25519 seed (32 bytes) and its public key. */
export function generateSigningSeed(): { seed: Uint8Array; publicKey: Uint8Array } {
  const pair = sodium().crypto_sign_keypair();
  const seed = pair.privateKey.slice(0, 32);
  return { seed, publicKey: pair.publicKey };
}

/** Ed25519 key objects for jose (EdDSA) from the libsodium seed and public key. */
export function signingKeyPair(id: string, seed: Uint8Array, publicKey: Uint8Array): SigningKeyPair {
  const x = Buffer.from(publicKey).toString('base64url');
  const d = Buffer.from(seed).toString('base64url');
  return {
    id,
    privateKey: createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x, d }, format: 'jwk' }),
    publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }),
  };
}
