import sodium from 'libsodium-wrappers';

// DESIGN.md "Browser-side sealing": the fields leave the browser only as
// base64url(crypto_box_seal(UTF-8 JSON of the fields, intake publicKey)).

export async function sodiumReady(): Promise<void> {
  await sodium.ready;
}

export async function sealFields(fields: Record<string, string>, publicKey: string): Promise<string> {
  await sodium.ready;
  const variant = sodium.base64_variants.URLSAFE_NO_PADDING;
  const message = sodium.from_string(JSON.stringify(fields));
  try {
    return sodium.to_base64(sodium.crypto_box_seal(message, sodium.from_base64(publicKey, variant)), variant);
  } finally {
    sodium.memzero(message);
  }
}

/** The plaintext bytes per secretstream chunk (src/crypto/file-cipher.ts reads the same size). */
const FILE_CHUNK_BYTES = 64 * 1024;
const yieldToPage = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * DESIGN "Attachments": a file encrypted on this device, chunk by chunk, into the upload envelope
 * (u32 length | crypto_box_seal({v, key, header, name, type}) | secretstream chunks). Between
 * chunks the page gets the event loop back, so a 5 MiB file on a phone never freezes it.
 */
export async function sealFile(file: File, publicKey: string, onProgress: (fraction: number) => void): Promise<Blob> {
  await sodium.ready;
  const variant = sodium.base64_variants.URLSAFE_NO_PADDING;
  const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  const meta = sodium.from_string(
    JSON.stringify({ v: 1, key: sodium.to_base64(key, variant), header: sodium.to_base64(header, variant), name: file.name, type: file.type }),
  );
  const sealedMeta = sodium.crypto_box_seal(meta, sodium.from_base64(publicKey, variant));
  sodium.memzero(meta);
  sodium.memzero(key);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, sealedMeta.length, false);
  const parts: BlobPart[] = [length, sealedMeta as Uint8Array<ArrayBuffer>];
  for (let offset = 0; ; offset += FILE_CHUNK_BYTES) {
    const last = offset + FILE_CHUNK_BYTES >= file.size;
    const plain = new Uint8Array(await file.slice(offset, offset + FILE_CHUNK_BYTES).arrayBuffer());
    const tag = last ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    parts.push(sodium.crypto_secretstream_xchacha20poly1305_push(state, plain, null, tag) as Uint8Array<ArrayBuffer>);
    sodium.memzero(plain);
    onProgress(file.size === 0 ? 1 : Math.min(1, (offset + FILE_CHUNK_BYTES) / file.size));
    if (last) break;
    await yieldToPage();
  }
  return new Blob(parts, { type: 'application/octet-stream' });
}
