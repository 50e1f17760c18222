import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

// A real OpenID Connect provider for tests, on 127.0.0.1 with its own keys: discovery document,
// authorization endpoint (approves at once), token endpoint (checks PKCE), JWKS. Nothing mocked:
// the vault reaches it over HTTP and verifies its tokens with jose.

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';

export interface ProviderKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeProviderKey(alg: SigningAlg, kid = `key-${randomBytes(4).toString('hex')}`): Promise<ProviderKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface TestProvider {
  issuer: string;
  jwksUrl: string;
  clientId: string;
  /** Served at the JWKS endpoint. */
  keys: ProviderKey[];
  /** Signs the ID tokens the token endpoint hands out. */
  signingKey: ProviderKey;
  /** Claims over the defaults for the next sign-ins (sub, email, name, role…); null removes one. */
  identity: Record<string, unknown>;
  /** When set, makes the ID token from the claims instead of signing them with signingKey. */
  mint: ((claims: Record<string, unknown>) => Promise<string>) | null;
  /** What the discovery document says (tests change it). */
  discovery: Record<string, unknown>;
  authorizeRequests: URLSearchParams[];
  tokenRequests: URLSearchParams[];
  jwksFetches: number;
  /** Signs claims with a key (default: signingKey) as the provider would. */
  sign(claims: Record<string, unknown>, key?: ProviderKey): Promise<string>;
  /** The provider's default claims for the given nonce, at its clock's now. */
  claimsFor(nonce: string): Record<string, unknown>;
  /** A new signing key replaces the old one in the JWKS. */
  rotate(alg?: SigningAlg): Promise<ProviderKey>;
  stop(): Promise<void>;
}

export const CLIENT_ID = 'ticketvault-console';

export async function startOidcProvider(options: { now: () => number; alg?: SigningAlg }): Promise<TestProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const first = await makeProviderKey(options.alg ?? 'RS256');
  const codes = new Map<string, { challenge: string; nonce: string; redirectUri: string; clientId: string }>();
  const seconds = () => Math.floor(options.now() / 1000);

  const provider: TestProvider = {
    issuer: base,
    jwksUrl: `${base}/jwks`,
    clientId: CLIENT_ID,
    keys: [first],
    signingKey: first,
    identity: {},
    mint: null,
    discovery: {
      issuer: base,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      jwks_uri: `${base}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
      code_challenge_methods_supported: ['S256'],
    },
    authorizeRequests: [],
    tokenRequests: [],
    jwksFetches: 0,
    sign: (claims, key = provider.signingKey) => new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey),
    claimsFor: (nonce) => {
      const now = seconds();
      const claims: Record<string, unknown> = {
        iss: base,
        aud: CLIENT_ID,
        sub: 'idp-user-riley',
        email: 'riley@vendor.test',
        email_verified: true,
        name: 'Riley Idp',
        ticketvault_role: 'engineer',
        nonce,
        iat: now,
        exp: now + 300,
        auth_time: now,
        ...provider.identity,
      };
      for (const [key, value] of Object.entries(claims)) if (value === null) delete claims[key];
      return claims;
    },
    rotate: async (alg = provider.signingKey.alg) => {
      const next = await makeProviderKey(alg);
      provider.keys = [next];
      provider.signingKey = next;
      return next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
  };

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', base);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') return json(res, 200, provider.discovery);
    if (req.method === 'GET' && url.pathname === '/jwks') {
      provider.jwksFetches++;
      return json(res, 200, { keys: provider.keys.map((k) => k.publicJwk) });
    }
    if (req.method === 'GET' && url.pathname === '/authorize') {
      const q = url.searchParams;
      provider.authorizeRequests.push(q);
      if (q.get('response_type') !== 'code' || q.get('client_id') !== CLIENT_ID || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
        return json(res, 400, { error: 'invalid_request' });
      }
      const code = randomBytes(16).toString('base64url');
      codes.set(code, { challenge: q.get('code_challenge')!, nonce: q.get('nonce') ?? '', redirectUri: q.get('redirect_uri')!, clientId: q.get('client_id')! });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { Location: back.toString() }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', async () => {
        const form = new URLSearchParams(body);
        provider.tokenRequests.push(form);
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (
          !grant ||
          form.get('grant_type') !== 'authorization_code' ||
          form.get('client_id') !== grant.clientId ||
          form.get('redirect_uri') !== grant.redirectUri ||
          challenge !== grant.challenge
        ) {
          return json(res, 400, { error: 'invalid_grant' });
        }
        const claims = provider.claimsFor(grant.nonce);
        const idToken = provider.mint ? await provider.mint(claims) : await provider.sign(claims);
        json(res, 200, { access_token: randomBytes(16).toString('base64url'), token_type: 'Bearer', expires_in: 300, id_token: idToken });
      });
      return;
    }
    json(res, 404, { error: 'not_found' });
  });

  return provider;
}
