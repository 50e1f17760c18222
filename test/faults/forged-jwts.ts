import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { TOKEN_AUDIENCE } from '../../src/staff-auth/staff-tokens.js';
import type { FuzzVault } from './fuzz-vault.js';

// Bearer tokens an attacker could send: unsigned, expired, signed with the wrong key or
// algorithm, pointing at a key elsewhere, cut short or padded out. Each is built by hand (not
// through jose) so nothing the library would refuse to produce is missed.

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const part = (value: unknown) => b64url(JSON.stringify(value));

type Signer = (input: string) => Buffer;

function compact(header: unknown, payload: unknown, signer: Signer | null): string {
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${signer ? b64url(signer(input)) : ''}`;
}

const ed25519 = (key: KeyObject): Signer => (input) => sign(null, Buffer.from(input), key);
const hmac = (algorithm: 'sha256' | 'sha512', secret: Buffer | string): Signer => (input) => createHmac(algorithm, secret).update(input).digest();

/** What a forger has: the vault's public key (the private one only for "genuine but wrong claims"), its own keys. */
export interface ForgeContext {
  claims: Record<string, unknown>;
  header: Record<string, unknown>;
  now: number;
  vaultKey: Signer;
  attackerKey: Signer;
  attackerJwk: object;
  kid: string;
  publicJwkX: string;
  publicRaw: Buffer;
  publicPem: string;
  publicDer: Buffer;
  rsaKey: KeyObject;
  ecKey: KeyObject;
  genuine: string;
  /** The same claims for the engineer, genuinely signed. */
  asEngineer: string;
  engineerId: string;
  disabledId: string;
}

/** Keys and claims for this vault; every forged token names the admin unless it says otherwise. */
export async function forgeContext(fv: FuzzVault): Promise<ForgeContext> {
  const { tv } = fv;
  const signing = await tv.vault.keys.signing.current();
  const now = Math.floor(tv.clock.now() / 1000);
  const claims = { email: 'admin@vendor.test', iss: tv.vault.config.publicUrl, aud: TOKEN_AUDIENCE, sub: tv.staffIds.admin, iat: now, nbf: now - 1, exp: now + 3600, jti: 'forged' };
  const header = { alg: 'EdDSA', kid: signing.id, typ: 'JWT' };
  const vaultKey = ed25519(signing.privateKey);
  const attacker = generateKeyPairSync('ed25519');
  const publicJwk = signing.publicKey.export({ format: 'jwk' });
  return {
    claims,
    header,
    now,
    vaultKey,
    attackerKey: ed25519(attacker.privateKey),
    attackerJwk: attacker.publicKey.export({ format: 'jwk' }),
    kid: signing.id,
    publicJwkX: publicJwk.x!,
    publicRaw: Buffer.from(publicJwk.x!, 'base64url'),
    publicPem: signing.publicKey.export({ format: 'pem', type: 'spki' }) as string,
    publicDer: signing.publicKey.export({ format: 'der', type: 'spki' }),
    rsaKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    ecKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    genuine: compact(header, claims, vaultKey),
    asEngineer: compact(header, { ...claims, sub: tv.staffIds.engineer }, vaultKey),
    engineerId: tv.staffIds.engineer,
    disabledId: fv.pools.staff[3]!,
  };
}

const partsOf = (token: string) => token.split('.') as [string, string, string];
const HS256 = { alg: 'HS256', typ: 'JWT' };

/** The corpus: a name and how to forge it. */
export const FORGED_JWTS: Array<[string, (c: ForgeContext) => string]> = [
  ['alg none, no signature', (c) => compact({ alg: 'none', typ: 'JWT' }, c.claims, null)],
  ['alg none keeping a genuine signature', (c) => `${part({ alg: 'none', typ: 'JWT' })}.${partsOf(c.genuine)[1]}.${partsOf(c.genuine)[2]}`],
  ['alg None', (c) => compact({ alg: 'None' }, c.claims, null)],
  ['alg NONE', (c) => compact({ alg: 'NONE' }, c.claims, null)],
  ['no alg at all', (c) => compact({ typ: 'JWT' }, c.claims, null)],
  ['expired an hour ago (the vault’s own key)', (c) => compact(c.header, { ...c.claims, iat: c.now - 7200, nbf: c.now - 7200, exp: c.now - 3600 }, c.vaultKey)],
  ['expired just past the clock tolerance', (c) => compact(c.header, { ...c.claims, exp: c.now - 31 }, c.vaultKey)],
  ['not valid yet (nbf in an hour)', (c) => compact(c.header, { ...c.claims, nbf: c.now + 3600 }, c.vaultKey)],
  ['HS256 keyed with the public key’s raw bytes', (c) => compact(HS256, c.claims, hmac('sha256', c.publicRaw))],
  ['HS256 keyed with the public key’s base64url', (c) => compact(HS256, c.claims, hmac('sha256', c.publicJwkX))],
  ['HS256 keyed with the public key’s PEM', (c) => compact(HS256, c.claims, hmac('sha256', c.publicPem))],
  ['HS256 keyed with the public key’s DER', (c) => compact(HS256, c.claims, hmac('sha256', c.publicDer))],
  ['HS512 keyed with the public key’s raw bytes, under the vault’s kid', (c) => compact({ alg: 'HS512', kid: c.kid }, c.claims, hmac('sha512', c.publicRaw))],
  ['a jku pointing elsewhere', (c) => compact({ alg: 'EdDSA', kid: 'attacker', jku: 'https://attacker.test/.well-known/jwks.json' }, c.claims, c.attackerKey)],
  ['an embedded jwk', (c) => compact({ alg: 'EdDSA', jwk: c.attackerJwk }, c.claims, c.attackerKey)],
  ['an x5u pointing elsewhere', (c) => compact({ alg: 'EdDSA', x5u: 'https://attacker.test/cert.pem' }, c.claims, c.attackerKey)],
  ['an x5c chain of junk', (c) => compact({ alg: 'EdDSA', x5c: [b64url('not a certificate')] }, c.claims, c.attackerKey)],
  ['another key under the vault’s kid', (c) => compact(c.header, c.claims, c.attackerKey)],
  ['another key under an unknown kid', (c) => compact({ ...c.header, kid: 'k-unknown' }, c.claims, c.attackerKey)],
  ['the vault’s own key under an unknown kid', (c) => compact({ ...c.header, kid: 'k-unknown' }, c.claims, c.vaultKey)],
  ['a kid that is a path, HMAC with an empty key', (c) => compact({ alg: 'HS256', kid: '../../../../dev/null' }, c.claims, hmac('sha256', ''))],
  ['a kid that is SQL', (c) => compact({ ...c.header, kid: "' UNION SELECT 'x" }, c.claims, c.attackerKey)],
  ['RS256 with an attacker’s RSA key', (c) => compact({ alg: 'RS256', typ: 'JWT' }, c.claims, (input) => sign('sha256', Buffer.from(input), c.rsaKey))],
  ['ES256 with an attacker’s EC key', (c) => compact({ alg: 'ES256', typ: 'JWT' }, c.claims, (input) => sign('sha256', Buffer.from(input), { key: c.ecKey, dsaEncoding: 'ieee-p1363' }))],
  ['another issuer (the vault’s own key)', (c) => compact(c.header, { ...c.claims, iss: 'https://evil.test' }, c.vaultKey)],
  ['another audience (the vault’s own key)', (c) => compact(c.header, { ...c.claims, aud: 'another-api' }, c.vaultKey)],
  ['an audience list without ours', (c) => compact(c.header, { ...c.claims, aud: ['a', 'b'] }, c.vaultKey)],
  ['no sub', (c) => compact(c.header, { ...c.claims, sub: undefined }, c.vaultKey)],
  ['no exp', (c) => compact(c.header, { ...c.claims, exp: undefined }, c.vaultKey)],
  ['no iat', (c) => compact(c.header, { ...c.claims, iat: undefined }, c.vaultKey)],
  ['a sub naming nobody', (c) => compact(c.header, { ...c.claims, sub: '00000000-0000-4000-8000-000000000000' }, c.vaultKey)],
  ['a sub naming a disabled member', (c) => compact(c.header, { ...c.claims, sub: c.disabledId }, c.vaultKey)],
  ['an unknown critical header', (c) => compact({ ...c.header, crit: ['x-tv'], 'x-tv': 1 }, c.claims, c.vaultKey)],
  ['an unencoded payload (b64: false)', (c) => compact({ ...c.header, b64: false, crit: ['b64'] }, c.claims, c.vaultKey)],
  ['the engineer’s signature on the admin’s claims', (c) => `${partsOf(c.genuine)[0]}.${partsOf(c.genuine)[1]}.${partsOf(c.asEngineer)[2]}`],
  ['the admin’s signature on the engineer’s claims', (c) => `${partsOf(c.genuine)[0]}.${partsOf(c.asEngineer)[1]}.${partsOf(c.genuine)[2]}`],
  ['truncated by one character', (c) => c.genuine.slice(0, -1)],
  ['truncated to half', (c) => c.genuine.slice(0, c.genuine.length >> 1)],
  ['without its signature', (c) => c.genuine.slice(0, c.genuine.lastIndexOf('.') + 1)],
  ['two parts', (c) => c.genuine.slice(0, c.genuine.lastIndexOf('.'))],
  ['an extra dot at the end', (c) => `${c.genuine}.`],
  ['an extra part', (c) => `${c.genuine}.${partsOf(c.genuine)[2]}`],
  ['five parts (JWE-shaped)', (c) => `${c.genuine}.${partsOf(c.genuine)[2]}.${partsOf(c.genuine)[2]}`],
  ['only dots', () => '...'],
  ['a leading dot', (c) => `.${c.genuine}`],
  ['a header that is not JSON', (c) => `${b64url('{"alg":')}.${partsOf(c.genuine)[1]}.${partsOf(c.genuine)[2]}`],
  ['a payload that is not JSON', (c) => compact(c.header, 'not an object', c.vaultKey)],
  ['a header that is a JSON array', (c) => `${part([c.header])}.${partsOf(c.genuine)[1]}.${partsOf(c.genuine)[2]}`],
  ['a payload that is a JSON array', (c) => `${partsOf(c.genuine)[0]}.${part([c.claims])}.${partsOf(c.genuine)[2]}`],
  ['huge: 8 KiB of claims signed by another key', (c) => compact(c.header, { ...c.claims, pad: 'x'.repeat(8 * 1024) }, c.attackerKey)],
  ['huge: 8 KiB of dots and letters', () => `${'a.'.repeat(4096)}a`],
];
