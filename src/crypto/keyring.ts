import { randomBytes } from './random.js';
import { sodium } from './sodium.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 24;

export interface Wrapped {
  kekId: string;
  wrapped: Uint8Array;
}

export class KeyringError extends Error {}

/**
 * The master keys (KEKs). The first is current and wraps everything new; the rest are
 * kept only to unwrap what older keys wrapped until `ticketvault keys rotate` re-wraps it.
 */
export class Keyring {
  private readonly keys = new Map<string, Uint8Array>();
  readonly currentId: string;

  constructor(masterKeys: Uint8Array[]) {
    if (masterKeys.length === 0) throw new KeyringError('no master key');
    for (const key of masterKeys) {
      if (key.length !== KEY_BYTES) throw new KeyringError(`a master key must be ${KEY_BYTES} bytes, got ${key.length}`);
      this.keys.set(kekIdOf(key), key);
    }
    this.currentId = kekIdOf(masterKeys[0]!);
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  has(kekId: string): boolean {
    return this.keys.has(kekId);
  }

  /** Encrypts a key or token under the current KEK; `context` is bound as associated data. */
  wrap(secret: Uint8Array, context: string): Wrapped {
    const nonce = randomBytes(NONCE_BYTES);
    const box = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(secret, context, null, nonce, this.key(this.currentId));
    const wrapped = new Uint8Array(NONCE_BYTES + box.length);
    wrapped.set(nonce, 0);
    wrapped.set(box, NONCE_BYTES);
    return { kekId: this.currentId, wrapped };
  }

  unwrap(kekId: string, wrapped: Uint8Array, context: string): Uint8Array {
    const key = this.key(kekId);
    try {
      return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        wrapped.subarray(NONCE_BYTES),
        context,
        wrapped.subarray(0, NONCE_BYTES),
        key,
      );
    } catch {
      throw new KeyringError(`wrapped key for ${context} does not open under master key ${kekId}`);
    }
  }

  /** A subkey derived from the current KEK (libsodium KDF, 8-character context). */
  deriveKey(subkeyId: number, context: string): Uint8Array {
    return sodium().crypto_kdf_derive_from_key(KEY_BYTES, subkeyId, context, this.key(this.currentId));
  }

  private key(kekId: string): Uint8Array {
    const key = this.keys.get(kekId);
    if (!key) throw new KeyringError(`master key ${kekId} is not in the keyring (MASTER_KEY / MASTER_KEY_FILE)`);
    return key;
  }
}

/** A public, stable id for a KEK: keyed BLAKE2b of a fixed label, so it reveals nothing of the key. */
export function kekIdOf(key: Uint8Array): string {
  return 'kek_' + Buffer.from(sodium().crypto_generichash(9, 'ticketvault kek id', key)).toString('base64url');
}
