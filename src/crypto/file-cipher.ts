import { openSealedBox, SealedBoxInvalid, type BoxKeyPair } from './sealed-box.js';
import { sodium } from './sodium.js';

// The upload envelope (docs/decisions/026), as the intake page builds it:
//   u32 big-endian L | L bytes crypto_box_seal(JSON {v, key, header, name, type}) | secretstream
// The secretstream (crypto_secretstream_xchacha20poly1305) carries the file in chunks of
// UPLOAD_CHUNK_BYTES of plaintext, the last one (possibly empty) tagged FINAL. Name, type, key and
// stream header travel only inside the sealed box.

export const UPLOAD_CHUNK_BYTES = 64 * 1024;
const ABYTES = 17;
const HEADER_BYTES = 24;
const KEY_BYTES = 32;
const MAX_META_BYTES = 4096;
export const MAX_FILE_NAME_LENGTH = 255;
const MAX_TYPE_LENGTH = 255;

export class UploadInvalid extends Error {}

export interface OpenedFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/** The largest envelope a file of `maxBytes` can arrive in: the body limit of the upload route. */
export function maxUploadBytes(maxBytes: number): number {
  return 4 + MAX_META_BYTES + maxBytes + ABYTES * (Math.floor(maxBytes / UPLOAD_CHUNK_BYTES) + 1);
}

function split(upload: Uint8Array): { meta: Uint8Array; stream: Uint8Array } {
  if (upload.length < 4) throw new UploadInvalid('upload is too short');
  const length = new DataView(upload.buffer, upload.byteOffset, upload.byteLength).getUint32(0, false);
  if (length < 48 || length > MAX_META_BYTES || upload.length < 4 + length + ABYTES) throw new UploadInvalid('upload envelope is malformed');
  return { meta: upload.subarray(4, 4 + length), stream: upload.subarray(4 + length) };
}

/** The plaintext size of an upload, from its length alone (before any decryption). */
export function uploadedFileSize(upload: Uint8Array): number {
  const { stream } = split(upload);
  const chunks = Math.ceil(stream.length / (UPLOAD_CHUNK_BYTES + ABYTES));
  return stream.length - chunks * ABYTES;
}

const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/**
 * Opens an upload made for one of the intake key pairs: the sealed metadata, then every chunk of
 * the stream, which must end with its FINAL chunk and nothing after it. Throws UploadInvalid for
 * anything else; the caller owns (and zeroes) the returned bytes.
 */
export function openUpload(upload: Uint8Array, keyPairs: BoxKeyPair[]): OpenedFile {
  const s = sodium();
  const { meta, stream } = split(upload);
  let opened: Uint8Array;
  try {
    opened = openSealedBox(Buffer.from(meta).toString('base64url'), keyPairs);
  } catch (error) {
    if (error instanceof SealedBoxInvalid) throw new UploadInvalid('the sealed metadata does not open');
    throw error;
  }
  let parsed: { v?: unknown; key?: unknown; header?: unknown; name?: unknown; type?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(opened).toString('utf8')) as typeof parsed;
  } catch {
    throw new UploadInvalid('the sealed metadata is not JSON');
  } finally {
    opened.fill(0);
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.v !== 1 || !isText(parsed.key, 64) || !isText(parsed.header, 64)) {
    throw new UploadInvalid('the sealed metadata is incomplete');
  }
  const name = isText(parsed.name, 4 * MAX_FILE_NAME_LENGTH) ? parsed.name.normalize('NFC').replace(/[\u0000-\u001f\u007f/\\]/g, '_').trim() : '';
  if (name === '' || name.length > MAX_FILE_NAME_LENGTH) throw new UploadInvalid('the file name is missing or too long');
  const type = isText(parsed.type, MAX_TYPE_LENGTH) && /^[\w.+-]+\/[\w.+-]+$/.test(parsed.type) ? parsed.type : 'application/octet-stream';
  const key = new Uint8Array(Buffer.from(parsed.key, 'base64url'));
  const header = new Uint8Array(Buffer.from(parsed.header, 'base64url'));
  if (key.length !== KEY_BYTES || header.length !== HEADER_BYTES) throw new UploadInvalid('the stream key or header has the wrong length');

  const bytes = new Uint8Array(uploadedFileSize(upload));
  let state: ReturnType<typeof s.crypto_secretstream_xchacha20poly1305_init_pull>;
  try {
    state = s.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
  } catch {
    throw new UploadInvalid('the stream header does not open');
  } finally {
    key.fill(0);
  }
  let offset = 0;
  let written = 0;
  let final = false;
  try {
    while (offset < stream.length) {
      if (final) throw new UploadInvalid('data follows the final chunk');
      const chunk = stream.subarray(offset, Math.min(stream.length, offset + UPLOAD_CHUNK_BYTES + ABYTES));
      offset += chunk.length;
      const pulled = s.crypto_secretstream_xchacha20poly1305_pull(state, chunk, null);
      if (!pulled) throw new UploadInvalid('a chunk does not decrypt');
      final = pulled.tag === s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
      // Only the last chunk may be short: a short chunk that is not final cannot be followed.
      if (!final && pulled.message.length !== UPLOAD_CHUNK_BYTES) throw new UploadInvalid('a chunk has the wrong size');
      bytes.set(pulled.message, written);
      written += pulled.message.length;
      pulled.message.fill(0);
    }
    if (!final) throw new UploadInvalid('the stream was cut short');
  } catch (error) {
    bytes.fill(0);
    throw error;
  }
  return { name, type, bytes };
}

/** For tests and scripted clients: what the intake page does in the browser. */
export function sealUpload(file: { name: string; type: string; bytes: Uint8Array }, publicKey: Uint8Array): Uint8Array {
  const s = sodium();
  const key = s.crypto_secretstream_xchacha20poly1305_keygen();
  const { state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(key);
  const meta = s.crypto_box_seal(
    JSON.stringify({ v: 1, key: Buffer.from(key).toString('base64url'), header: Buffer.from(header).toString('base64url'), name: file.name, type: file.type }),
    publicKey,
  );
  const parts: Uint8Array[] = [];
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, meta.length, false);
  parts.push(length, meta);
  for (let offset = 0; ; offset += UPLOAD_CHUNK_BYTES) {
    const last = offset + UPLOAD_CHUNK_BYTES >= file.bytes.length;
    const tag = last ? s.crypto_secretstream_xchacha20poly1305_TAG_FINAL : s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    parts.push(s.crypto_secretstream_xchacha20poly1305_push(state, file.bytes.subarray(offset, offset + UPLOAD_CHUNK_BYTES), null, tag));
    if (last) break;
  }
  return Buffer.concat(parts);
}
