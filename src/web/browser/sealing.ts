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
