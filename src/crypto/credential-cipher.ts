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
  /** The credential's file list (id, name, type, size) under the same data key; null or absent without files. */
  filesManifest?: Uint8Array | null;
  /** Only when written: the files' ciphertext (a reveal reads the manifest, a download one file). */
  files?: EncryptedFile[];
}

/** A file as the customer gave it, to be encrypted with its credential. */
export interface PlainFile {
  id: string;
  name: string;
  type: string;
  bytes: Uint8Array;
}

export interface FileEntry {
  id: string;
  name: string;
  type: string;
  size: number;
}

export interface EncryptedFile {
  id: string;
  ciphertext: Uint8Array;
}

export class DecryptionFailed extends Error {}

const associatedData = (b: CredentialBinding) => `ticketvault/credential/v1|${b.credentialId}|${b.ticketId}|${b.kind}`;
const dekContext = (b: CredentialBinding) => `ticketvault/dek/v1|${b.credentialId}`;
const manifestData = (b: CredentialBinding) => `ticketvault/files-manifest/v1|${b.credentialId}|${b.ticketId}`;
const fileData = (b: CredentialBinding, fileId: string) => `ticketvault/file/v1|${b.credentialId}|${b.ticketId}|${fileId}`;

function seal(plaintext: Uint8Array, ad: string, key: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const box = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
  const out = new Uint8Array(NONCE_BYTES + box.length);
  out.set(nonce, 0);
  out.set(box, NONCE_BYTES);
  return out;
}

function unseal(ciphertext: Uint8Array, ad: string, key: Uint8Array): Uint8Array {
  return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext.subarray(NONCE_BYTES), ad, ciphertext.subarray(0, NONCE_BYTES), key);
}

/**
 * Encrypts the secret fields under a fresh data key, and wraps that key under the current KEK.
 * `plaintext` is zeroed once encrypted, whether or not encryption succeeded: the caller hands over
 * its only copy of the fields' bytes, and none outlives the call.
 */
export function encryptSecret(keyring: Keyring, binding: CredentialBinding, plaintext: Uint8Array, files: PlainFile[] = []): EncryptedSecret {
  const s = sodium();
  const dek = randomBytes(32);
  try {
    const ciphertext = seal(plaintext, associatedData(binding), dek);
    // Each file is bound to its credential and its own id: moved to another row or swapped with
    // another file, it no longer decrypts. The list of names is one more ciphertext beside the fields.
    const encryptedFiles = files.map((f) => ({ id: f.id, ciphertext: seal(f.bytes, fileData(binding, f.id), dek) }));
    const manifest: FileEntry[] = files.map((f) => ({ id: f.id, name: f.name, type: f.type, size: f.bytes.length }));
    const filesManifest = files.length ? seal(Buffer.from(JSON.stringify(manifest), 'utf8'), manifestData(binding), dek) : null;
    const { kekId, wrapped } = keyring.wrap(dek, dekContext(binding));
    return { kekId, wrappedDek: wrapped, ciphertext, filesManifest, files: encryptedFiles };
  } finally {
    s.memzero(plaintext);
    for (const f of files) s.memzero(f.bytes);
    s.memzero(dek);
  }
}

function unwrapDek(keyring: Keyring, binding: CredentialBinding, secret: EncryptedSecret): Uint8Array {
  try {
    return keyring.unwrap(secret.kekId, secret.wrappedDek, dekContext(binding));
  } catch {
    throw new DecryptionFailed('data key does not unwrap');
  }
}

/** The credential's files (id, name, type, size); none when it has no manifest. */
export function decryptFileList(keyring: Keyring, binding: CredentialBinding, secret: EncryptedSecret): FileEntry[] {
  if (!secret.filesManifest) return [];
  const dek = unwrapDek(keyring, binding, secret);
  try {
    return JSON.parse(Buffer.from(unseal(secret.filesManifest, manifestData(binding), dek)).toString('utf8')) as FileEntry[];
  } catch {
    throw new DecryptionFailed('file list does not decrypt');
  } finally {
    sodium().memzero(dek);
  }
}

/** One file's bytes; the caller zeroes them once sent. */
export function decryptFile(keyring: Keyring, binding: CredentialBinding, secret: EncryptedSecret, file: EncryptedFile): Uint8Array {
  const dek = unwrapDek(keyring, binding, secret);
  try {
    return unseal(file.ciphertext, fileData(binding, file.id), dek);
  } catch {
    throw new DecryptionFailed('file does not decrypt');
  } finally {
    sodium().memzero(dek);
  }
}

export function decryptSecret(keyring: Keyring, binding: CredentialBinding, secret: EncryptedSecret): Uint8Array {
  const s = sodium();
  const dek = unwrapDek(keyring, binding, secret);
  try {
    return unseal(secret.ciphertext, associatedData(binding), dek);
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
  return { kekId, wrappedDek: wrapped, ciphertext: secret.ciphertext, filesManifest: secret.filesManifest };
}
