import { generateBoxKeyPair, openSealedBox, SealedBoxInvalid, type BoxKeyPair } from '../src/crypto/sealed-box.js';
import { initSodium, type Sodium } from '../src/crypto/sodium.js';

// openSealedBox does crypto_box_seal_open's steps itself, with node:crypto's X25519: every box
// libsodium opens must open to the same bytes, and every box libsodium refuses must be refused.
describe('openSealedBox against libsodium crypto_box_seal_open', () => {
  let sodium: Sodium;
  let pair: BoxKeyPair;
  beforeAll(async () => {
    sodium = await initSodium();
    pair = { id: 'k1', ...generateBoxKeyPair() };
  });

  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
  const libsodiumOpens = (box: Uint8Array, p: BoxKeyPair) => {
    try {
      return sodium.crypto_box_seal_open(box, p.publicKey, p.secretKey);
    } catch {
      return null;
    }
  };
  const ours = (box: Uint8Array, pairs: BoxKeyPair[]) => {
    try {
      return openSealedBox(b64(box), pairs);
    } catch (error) {
      expect(error).toBeInstanceOf(SealedBoxInvalid);
      return null;
    }
  };

  it('opens what libsodium seals, to the same bytes, for messages of many lengths and fresh key pairs', () => {
    for (let i = 0; i < 150; i++) {
      const p = i % 10 === 0 ? { id: `k${i}`, ...generateBoxKeyPair() } : pair;
      const message = sodium.randombytes_buf(i * 7);
      const box = sodium.crypto_box_seal(message, p.publicKey);
      const opened = ours(box, [p]);
      expect(opened && Buffer.from(opened).equals(Buffer.from(message))).toBe(true);
    }
  });

  it('refuses every box with one flipped bit, wherever it is (ephemeral key, tag or ciphertext), as libsodium does', () => {
    const box = sodium.crypto_box_seal(new TextEncoder().encode('{"host":"ftp.shop.test","password":"s3cret"}'), pair.publicKey);
    for (let at = 0; at < box.length; at++) {
      for (const bit of [0, 6]) {
        const bent = Uint8Array.from(box);
        bent[at] = bent[at]! ^ (1 << bit);
        const theirs = libsodiumOpens(bent, pair);
        const mine = ours(bent, [pair]);
        expect({ at, bit, opened: mine !== null }).toEqual({ at, bit, opened: theirs !== null });
      }
    }
  });

  it('refuses boxes whose ephemeral key is a low-order point (an all-zero shared secret)', () => {
    // The points of order 1, 2, 4 and 8 on Curve25519 and non-canonical encodings of them.
    const p = (2n ** 255n - 19n);
    const le = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
    const lowOrder = [
      0n,
      1n,
      325606250916557431795983626356110631294008115727848805560023387167927233504n,
      39382357235489614581723060781553021112529911719440698176882885853963445705823n,
      p - 1n,
      p,
      p + 1n,
    ].map(le);
    // Each box is made as a sender would if the all-zero secret were accepted: it would open then.
    const zeroKey = sodium.crypto_core_hsalsa20(new Uint8Array(16), new Uint8Array(32), null);
    for (const point of lowOrder) {
      const nonce = sodium.crypto_generichash(sodium.crypto_box_NONCEBYTES, new Uint8Array([...point, ...pair.publicKey]), null);
      const box = new Uint8Array([...point, ...sodium.crypto_box_easy_afternm(new TextEncoder().encode('{"forged":true}'), nonce, zeroKey)]);
      expect(libsodiumOpens(box, pair)).toBeNull();
      expect(ours(box, [pair])).toBeNull();
    }
  });

  it('tries each key pair in turn: a box for a retired key opens, one for no listed key is refused', () => {
    const retired = { id: 'old', ...generateBoxKeyPair() };
    const stranger = { id: 'x', ...generateBoxKeyPair() };
    const forRetired = sodium.crypto_box_seal(new TextEncoder().encode('old page'), retired.publicKey);
    expect(Buffer.from(ours(forRetired, [pair, retired])!).toString()).toBe('old page');
    expect(ours(sodium.crypto_box_seal(new TextEncoder().encode('lost'), stranger.publicKey), [pair, retired])).toBeNull();
  });
});
