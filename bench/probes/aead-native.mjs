// node bench/probes/aead-native.mjs: libsodium's XChaCha20-Poly1305 (WebAssembly) against the same
// construction built from node:crypto (HChaCha20 subkey from libsodium, then OpenSSL's native
// chacha20-poly1305), encrypting and decrypting at the two sizes the vault uses: a 32-byte data
// key (the KEK wrap) and a 200-byte credential field. First checks that both give the same bytes
// and that both refuse a box with one bit flipped.
import crypto from 'node:crypto';
import sodiumModule from 'libsodium-wrappers-sumo';

const s = sodiumModule.default ?? sodiumModule;
await s.ready;
const key = crypto.randomBytes(32);
const nonce = crypto.randomBytes(24);
const ad = Buffer.from(`ticketvault/credential/v1|${crypto.randomUUID()}|${crypto.randomUUID()}|ftp`);

function nativeCipher(decrypt) {
  const subkey = s.crypto_core_hchacha20(nonce.subarray(0, 16), key, null);
  const ietfNonce = Buffer.alloc(12);
  nonce.copy(ietfNonce, 4, 16, 24);
  const make = decrypt ? crypto.createDecipheriv : crypto.createCipheriv;
  const c = make('chacha20-poly1305', subkey, ietfNonce, { authTagLength: 16 });
  c.setAAD(ad);
  return c;
}
const native = {
  encrypt(plaintext) {
    const c = nativeCipher(false);
    return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  },
  decrypt(box) {
    const d = nativeCipher(true);
    d.setAuthTag(box.subarray(box.length - 16));
    return Buffer.concat([d.update(box.subarray(0, box.length - 16)), d.final()]);
  },
};
const sodium = {
  encrypt: (plaintext) => s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key),
  decrypt: (box) => s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, box, ad, nonce, key),
};
const refuses = (f) => { try { f(); return false; } catch { return true; } };

const time = (f) => {
  const best = [];
  for (let run = 0; run < 3; run++) {
    const n = 30_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    best.push(Number(process.hrtime.bigint() - t0) / n / 1000);
  }
  return best.map((v) => v.toFixed(1)).join(' / ');
};

for (const size of [32, 200]) {
  const plaintext = crypto.randomBytes(size);
  const box = Buffer.from(sodium.encrypt(plaintext));
  if (!box.equals(native.encrypt(plaintext))) throw new Error('the two constructions differ');
  if (!native.decrypt(box).equals(plaintext) || !Buffer.from(sodium.decrypt(box)).equals(plaintext)) throw new Error('a box does not decrypt');
  const flipped = Buffer.from(box);
  flipped[size >> 1] ^= 1;
  if (!refuses(() => native.decrypt(flipped)) || !refuses(() => sodium.decrypt(flipped))) throw new Error('a tampered box was accepted');
  for (const [name, impl] of [['libsodium', sodium], ['node:crypto', native]]) {
    console.log(`${size} B ${name.padEnd(12)} encrypt ${time(() => impl.encrypt(plaintext))} µs, decrypt ${time(() => impl.decrypt(box))} µs (three runs)`);
  }
}
