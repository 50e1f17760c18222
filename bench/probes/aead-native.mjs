// node bench/probes/aead-native.mjs: libsodium's XChaCha20-Poly1305 (WebAssembly) against the same
// construction built from node:crypto (HChaCha20 subkey from libsodium, then OpenSSL's native
// chacha20-poly1305), for a credential-sized field. Checks the two give the same bytes first.
import crypto from 'node:crypto';
import sodiumModule from 'libsodium-wrappers-sumo';

const s = sodiumModule.default ?? sodiumModule;
await s.ready;
const key = crypto.randomBytes(32);
const nonce = crypto.randomBytes(24);
const plaintext = crypto.randomBytes(200);
const ad = `ticketvault/credential/v1|${crypto.randomUUID()}|${crypto.randomUUID()}|ftp`;

function nativeEncrypt() {
  const subkey = s.crypto_core_hchacha20(nonce.subarray(0, 16), key, null);
  const ietfNonce = Buffer.alloc(12);
  nonce.copy(ietfNonce, 4, 16, 24);
  const cipher = crypto.createCipheriv('chacha20-poly1305', subkey, ietfNonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(ad));
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}
const sodiumEncrypt = () => s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);

if (Buffer.compare(Buffer.from(sodiumEncrypt()), nativeEncrypt()) !== 0) throw new Error('the two constructions differ');
for (const [name, f] of [['libsodium', sodiumEncrypt], ['node:crypto', nativeEncrypt]]) {
  for (let run = 0; run < 3; run++) {
    const n = 50_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    console.log(name.padEnd(12), (Number(process.hrtime.bigint() - t0) / n / 1000).toFixed(1), 'µs per encryption');
  }
}
