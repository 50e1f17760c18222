import type { Keyring } from './keyring.js';
import { randomBytes } from './random.js';
import { sodium } from './sodium.js';

const NONCE_BYTES = 24;

/** What a ciphertext is bound to: moved to another row, it no longer decrypts. */
export interface CredentialBinding {
  credentialId: string;
  ticketId: string;
  kind: string;
}

export interface EncryptedSecret {
  kekId: string;
  wrappedDek: Uint8Array;
  ciphertext: Uint8Array;
}

export class DecryptionFailed extends Error {}

const associatedData = (b: CredentialBinding) => `ticketvault/credential/v1|${b.credentialId}|${b.ticketId}|${b.kind}`;
const dekContext = (b: CredentialBinding) => `ticketvault/dek/v1|${b.credentialId}`;

/**
 * Encrypts the secret fields under a fresh data key, and wraps that key under the current KEK.
 * `plaintext` is zeroed once encrypted, whether or not encryption succeeded: the caller hands over
 * its only copy of the fields' bytes, and none outlives the call.
 */
export function encryptSecret(keyring: Keyring, binding: CredentialBinding, plaintext: Uint8Array): EncryptedSecret {
  const s = sodium();
  const dek = randomBytes(32);
  const nonce = randomBytes(NONCE_BYTES);
  let box: Uint8Array;
  try {
    box = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData(binding), null, nonce, dek);
  } finally {
    s.memzero(plaintext);
  }
  const ciphertext = new Uint8Array(NONCE_BYTES + box.length);
  ciphertext.set(nonce, 0);
  ciphertext.set(box, NONCE_BYTES);
  const { kekId, wrapped } = keyring.wrap(dek, dekContext(binding));
  s.memzero(dek);
  return { kekId, wrappedDek: wrapped, ciphertext };
}

export function decryptSecret(keyring: Keyring, binding: CredentialBinding, secret: EncryptedSecret): Uint8Array {
  const s = sodium();
  let dek: Uint8Array;
  try {
    dek = keyring.unwrap(secret.kekId, secret.wrappedDek, dekContext(binding));
  } catch {
    throw new DecryptionFailed('data key does not unwrap');
  }
  try {
    return s.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      secret.ciphertext.subarray(NONCE_BYTES),
      associatedData(binding),
      secret.ciphertext.subarray(0, NONCE_BYTES),
      dek,
    );
  } catch {
    throw new DecryptionFailed('ciphertext does not decrypt');
  } finally {
    s.memzero(dek);
  }
}

/** Re-wraps a data key under the current KEK (key rotation); the ciphertext is untouched. */
export function rewrapSecret(keyring: Keyring, binding: CredentialBinding, secret: EncryptedSecret): EncryptedSecret {
  const dek = keyring.unwrap(secret.kekId, secret.wrappedDek, dekContext(binding));
  const { kekId, wrapped } = keyring.wrap(dek, dekContext(binding));
  sodium().memzero(dek);
  return { kekId, wrappedDek: wrapped, ciphertext: secret.ciphertext };
}
