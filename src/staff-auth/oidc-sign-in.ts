import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { createPkcePair } from '../crypto/pkce.js';
import { constantTimeEqual, issueToken } from '../crypto/tokens.js';
import type { SigningKeys } from '../keys/vault-keys.js';
import { Forbidden, ServiceUnavailable, Unauthorized, type VaultError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/storage.js';
import type { LoginThrottle } from './login-throttle.js';
import { staffActorOf } from './password-sign-in.js';
import { oidcSubjectOf, recordStaffChange } from './staff.js';
import type { StartedSession, StaffSessions } from './staff-sessions.js';
import { STAFF_ROLES, type StaffRole } from './staff-roles.js';
import type { StaffRecord } from './staff-store.js';
import { newId } from '../ids.js';

// Staff sign-in through an OpenID Connect provider: authorization code flow with PKCE (S256) as a
// public client (client id = OIDC_AUDIENCE, no secret), the ID token verified against the
// provider's remote JWKS with the algorithms pinned. docs/decisions/009-staff-sign-in-sessions-and-oidc.md.

/** Asymmetric algorithms only, narrowed to what the provider says it signs with; never HS*, never none. */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
const FLOW_AUDIENCE = 'ticketvault-oidc-flow';
const FLOW_TTL_SECONDS = 600;
const CLOCK_TOLERANCE_SECONDS = 30;
const DISCOVERY_TTL_MS = 3600_000;
const FETCH_TIMEOUT_MS = 10_000;

export interface OidcSettings {
  issuer: string;
  audience: string;
  jwksUrl: string;
  roleClaim: string;
}

export interface OidcDeps {
  settings: OidcSettings;
  publicUrl: string;
  storage: Storage;
  sessions: StaffSessions;
  throttle: LoginThrottle;
  audit: Audit;
  clock: Clock;
  log: Logger;
  /** Signs the short-lived cookie that carries one sign-in's state, nonce and PKCE verifier. */
  signing: SigningKeys;
  /** Least time between two JWKS fetches for an unknown key id (jose's default, 30 s; tests shorten it). */
  jwksCooldownMs?: number;
}

interface ProviderMetadata {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  algorithms: string[];
}

/** What the browser carries between leaving for the provider and coming back (signed, 10 minutes). */
interface FlowClaims {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
  /** A step-up: the provider must make the member sign in again (max_age=0), and say when they did. */
  reauth: boolean;
}

export interface OidcCallback {
  code?: string;
  state?: string;
  error?: string;
  /** The flow cookie set by startOidcSignIn. */
  flow?: string;
}

/** An ID token or callback refused; `reason` goes to the audit row, never to the browser. */
export class OidcSignInRefused extends Unauthorized {
  constructor(public readonly reason: string) {
    super('oidc_sign_in_failed', 'Single sign-on did not succeed; try again.');
  }
}

/** Where the console may send someone after sign-in: its own pages only, never another site. */
export function safeConsolePath(next: unknown): string {
  return typeof next === 'string' && /^\/console(\/[A-Za-z0-9\-._~/%?=&#]*)?$/.test(next) && !next.includes('//') ? next : '/console';
}

/** The role the provider grants in the configured claim (a string or a list; a dotted path reaches into objects). */
export function roleFromClaims(claims: JWTPayload, roleClaim: string): StaffRole | null {
  let value: unknown = claims[roleClaim];
  if (value === undefined && roleClaim.includes('.')) {
    value = roleClaim.split('.').reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), claims);
  }
  const granted = (Array.isArray(value) ? value : [value]).filter((v): v is StaffRole => STAFF_ROLES.includes(v as StaffRole));
  // admin passes every check; engineer and auditor are apart, and engineer is the broader working role.
  return (['admin', 'engineer', 'auditor'] as const).find((role) => granted.includes(role)) ?? null;
}

/** Who provisions, links and re-roles members on the provider's word: the audit rows name it. */
export const SSO_ACTOR: Actor = { type: 'system', id: null, name: 'single sign-on' };

/**
 * Why an existing local account may not be linked to this identity on the provider's word alone
 * (DESIGN "SSO linking"), or null when it may. An admin can still link it (`staff link-sso`).
 */
function linkRefusal(local: StaffRecord, claims: JWTPayload): string | null {
  if (local.oidcSubject !== null) return 'linked_to_another_identity';
  // Only the boolean: a missing claim (Entra ID sends none) or the string "true" proves nothing.
  if (claims.email_verified !== true) return 'email_not_verified';
  if (local.passwordHash !== null) return 'account_has_password';
  if (local.role === 'admin') return 'account_is_admin';
  return null;
}

const ssoLinkRefused = (detail = 'This single sign-on account cannot be linked to the ticketvault account with its e-mail address: only an admin can link it.') =>
  new Forbidden('sso_link_refused', detail);

function joseReason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token_expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim_${error.claim}`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm_not_allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'unknown_key';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  return 'malformed_token';
}

export function createOidcSignIn(deps: OidcDeps) {
  const { settings, storage, sessions, throttle, audit, clock, log, signing } = deps;
  const redirectUri = `${deps.publicUrl}/console/oidc/callback`;
  // jose fetches the key set on first use, again when it is older than 10 minutes, and again
  // (at most once per cooldown) when a token names a key id it does not hold: the provider's
  // key rotation needs nothing from us, and a key the provider dropped stops verifying.
  const jwks = createRemoteJWKSet(new URL(settings.jwksUrl), {
    cooldownDuration: deps.jwksCooldownMs ?? 30_000,
    timeoutDuration: FETCH_TIMEOUT_MS,
  });
  let discovery: { fetchedAt: number; metadata: Promise<ProviderMetadata> } | null = null;

  const unavailable = () => new ServiceUnavailable('oidc_unavailable', 'The single sign-on provider cannot be reached; try again in a moment.');

  async function fetchJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
    const response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    return { status: response.status, body: await response.json().catch(() => null) };
  }

  /** `${OIDC_ISSUER}/.well-known/openid-configuration`, checked and cached for an hour. */
  async function discover(): Promise<ProviderMetadata> {
    const url = `${settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const { status, body } = await fetchJson(url, { headers: { Accept: 'application/json' } });
    const doc = (body ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    if (status !== 200) problems.push(`answered ${status}`);
    if (doc.issuer !== settings.issuer) problems.push(`names issuer ${JSON.stringify(doc.issuer)}, not OIDC_ISSUER`);
    const endpoint = (key: string) => {
      const value = doc[key];
      const ok = typeof value === 'string' && URL.canParse(value) && ['https:', new URL(settings.issuer).protocol].includes(new URL(value).protocol);
      if (!ok) problems.push(`has no usable ${key}`);
      return String(value);
    };
    const authorizationEndpoint = endpoint('authorization_endpoint');
    const tokenEndpoint = endpoint('token_endpoint');
    const advertised = Array.isArray(doc.id_token_signing_alg_values_supported) ? doc.id_token_signing_alg_values_supported : null;
    const algorithms = ID_TOKEN_ALGORITHMS.filter((alg) => !advertised || advertised.includes(alg));
    if (algorithms.length === 0) problems.push(`signs ID tokens with none of ${ID_TOKEN_ALGORITHMS.join(', ')}`);
    const methods = doc.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256')) problems.push('does not support PKCE S256');
    if (problems.length) throw new Error(`the OpenID configuration at ${url} ${problems.join('; ')}`);
    return { authorizationEndpoint, tokenEndpoint, algorithms };
  }

  function providerMetadata(): Promise<ProviderMetadata> {
    if (!discovery || clock.now() - discovery.fetchedAt > DISCOVERY_TTL_MS) {
      const metadata = discover().catch((error: unknown) => {
        discovery = null;
        log.warn({ err: error }, 'OIDC discovery failed');
        throw unavailable();
      });
      discovery = { fetchedAt: clock.now(), metadata };
    }
    return discovery.metadata;
  }

  /** The provider's sign-in address to send the browser to, and the flow cookie to set first. */
  async function startOidcSignIn(options: { next?: unknown; reauth?: boolean }): Promise<{ authorizationUrl: string; flow: string }> {
    const provider = await providerMetadata();
    const pkce = createPkcePair();
    const claims: FlowClaims = {
      state: issueToken().token,
      nonce: issueToken().token,
      verifier: pkce.verifier,
      next: safeConsolePath(options.next),
      reauth: options.reauth === true,
    };
    const now = Math.floor(clock.now() / 1000);
    const key = await signing.current();
    const flow = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.id, typ: 'JWT' })
      .setIssuer(deps.publicUrl)
      .setAudience(FLOW_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + FLOW_TTL_SECONDS)
      .sign(key.privateKey);
    const url = new URL(provider.authorizationEndpoint);
    url.search = new URLSearchParams({
      ...Object.fromEntries(url.searchParams),
      response_type: 'code',
      client_id: settings.audience,
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      state: claims.state,
      nonce: claims.nonce,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...(claims.reauth ? { prompt: 'login', max_age: '0' } : {}),
    }).toString();
    return { authorizationUrl: url.toString(), flow };
  }

  async function readFlow(flow: string | undefined, state: string | undefined): Promise<FlowClaims & { startedAt: number }> {
    if (!flow || !state) throw new OidcSignInRefused('flow_missing');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(flow, (await signing.current()).publicKey, {
        algorithms: ['EdDSA'],
        issuer: deps.publicUrl,
        audience: FLOW_AUDIENCE,
        currentDate: new Date(clock.now()),
      }));
    } catch {
      throw new OidcSignInRefused('flow_invalid');
    }
    const claims = payload as unknown as FlowClaims;
    if (typeof claims.state !== 'string' || !constantTimeEqual(Buffer.from(claims.state), Buffer.from(state))) {
      throw new OidcSignInRefused('state_mismatch');
    }
    return { ...claims, next: safeConsolePath(claims.next), startedAt: (payload.iat ?? 0) * 1000 };
  }

  /**
   * Verifies an ID token: signature by a key from the provider's JWKS, algorithm pinned, issuer,
   * audience (and azp when there are several), exp/iat, nonce; for a step-up, a fresh auth_time.
   */
  async function verifyIdToken(idToken: string, expected: { nonce: string; authenticatedAfter?: number }): Promise<JWTPayload & { sub: string }> {
    const { algorithms } = await providerMetadata();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, jwks, {
        algorithms,
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ['sub', 'iat', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: FLOW_TTL_SECONDS,
        currentDate: new Date(clock.now()),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout || (error instanceof Error && !(error instanceof joseErrors.JOSEError))) {
        log.warn({ err: error }, 'OIDC key set could not be fetched');
        throw unavailable();
      }
      throw new OidcSignInRefused(joseReason(error));
    }
    if (typeof payload.nonce !== 'string' || !constantTimeEqual(Buffer.from(payload.nonce), Buffer.from(expected.nonce))) {
      throw new OidcSignInRefused('nonce_mismatch');
    }
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== settings.audience) throw new OidcSignInRefused('claim_azp');
    if (expected.authenticatedAfter !== undefined) {
      const authTime = typeof payload.auth_time === 'number' ? payload.auth_time * 1000 : 0;
      if (authTime < expected.authenticatedAfter - CLOCK_TOLERANCE_SECONDS * 1000) throw new OidcSignInRefused('not_reauthenticated');
    }
    return payload as JWTPayload & { sub: string };
  }

  async function redeemCode(code: string, verifier: string): Promise<string> {
    const { tokenEndpoint } = await providerMetadata();
    let answer: { status: number; body: unknown };
    try {
      answer = await fetchJson(tokenEndpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: settings.audience, code_verifier: verifier }),
      });
    } catch (error) {
      log.warn({ err: error }, 'OIDC token endpoint could not be reached');
      throw unavailable();
    }
    const idToken = (answer.body as { id_token?: unknown } | null)?.id_token;
    if (answer.status !== 200 || typeof idToken !== 'string') throw new OidcSignInRefused(`token_endpoint_${answer.status}`);
    return idToken;
  }

  type Outcome = { started: StartedSession } | { refused: VaultError };

  /**
   * Finds, links or provisions the member the verified claims name, takes the role the provider
   * grants, and starts their session; each change to the member is audited with it.
   */
  async function admit(claims: JWTPayload & { sub: string }, origin: Origin, replacing: string | undefined): Promise<StartedSession> {
    const subject = oidcSubjectOf(settings.issuer, claims.sub);
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : null;
    const role = roleFromClaims(claims, settings.roleClaim);
    const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 200) : null;
    const outcome = await storage.write(async (s): Promise<Outcome> => {
      const changed = (action: 'staff.added' | 'staff.changed' | 'staff.sso_linked', staff: StaffRecord, more: Record<string, unknown>) =>
        recordStaffChange(s, audit, action, staff, { actor: SSO_ACTOR, origin }, more);
      const now = clock.now();
      let staff: StaffRecord | undefined = await s.staff.getByOidcSubject(subject);
      let link = false;
      const refuse = async (error: VaultError, reason: string): Promise<Outcome> => {
        await audit.record(s, { action: 'staff.login_failed', actor: staff ? staffActorOf(staff) : { type: 'staff', id: null, name: null }, origin, detail: reason });
        return { refused: error };
      };
      if (!staff && email) {
        staff = await s.staff.getByEmail(email);
        if (staff) {
          const refusal = linkRefusal(staff, claims);
          if (refusal) return refuse(ssoLinkRefused(), `sso_link_refused:${refusal}`);
          link = true;
        }
      }
      if (staff && staff.disabledAt !== null) return refuse(new Forbidden('staff_disabled', 'Your ticketvault account is disabled; ask an admin.'), 'staff_disabled');
      if (!role) {
        return refuse(new Forbidden('oidc_no_role', `The sign-in provider gave you no ticketvault role (claim "${settings.roleClaim}").`), 'oidc_no_role');
      }
      // The provider is the source of truth for the role of anyone who signs in through it, but it
      // never takes away the vault's last admin.
      if (staff && staff.role !== role && staff.role === 'admin' && (await s.staff.countActiveAdmins()) <= 1) {
        const detail = 'The sign-in provider no longer makes you admin, and you are the only admin here: make someone else admin first.';
        return refuse(ssoLinkRefused(detail), 'sso_link_refused:last_admin');
      }
      if (!staff) {
        if (!email) return refuse(new Forbidden('oidc_no_email', 'The sign-in provider did not say your e-mail address.'), 'oidc_no_email');
        staff = {
          id: newId(),
          email,
          name: name ?? email.split('@')[0]!,
          role,
          passwordHash: null,
          oidcSubject: subject,
          disabledAt: null,
          tokensValidAfter: 0,
          createdAt: now,
          updatedAt: now,
        };
        await s.staff.insert(staff);
        await changed('staff.added', staff, { role, issuer: settings.issuer, sub: claims.sub });
      } else {
        const before = staff;
        if (link || staff.role !== role) {
          await s.staff.update(staff.id, { role, ...(link ? { oidcSubject: subject } : {}) }, now);
          staff = (await s.staff.get(staff.id))!;
        }
        if (link) await changed('staff.sso_linked', staff, { issuer: settings.issuer, sub: claims.sub, relinked: false });
        if (before.role !== role) await changed('staff.changed', staff, { changed: ['role'], role: { from: before.role, to: role } });
      }
      if (replacing) await sessions.endSession(replacing, 'replaced', s);
      const started = await sessions.startSession(s, staff, 'oidc');
      await audit.record(s, { action: 'staff.login', actor: staffActorOf(staff), origin, detail: 'oidc' });
      return { started };
    });
    if ('refused' in outcome) throw outcome.refused;
    return outcome.started;
  }

  /** The provider sent the browser back: check the flow, redeem the code, verify the ID token, admit the member. */
  async function finishOidcSignIn(callback: OidcCallback, origin: Origin, replacing?: string): Promise<StartedSession & { next: string }> {
    await throttle.reserveLoginAttempt({ email: null, ip: origin.ip ?? null });
    const flow = await readFlow(callback.flow, callback.state);
    if (callback.error || !callback.code) throw new OidcSignInRefused(`provider_${String(callback.error ?? 'no_code').slice(0, 40)}`);
    let claims: JWTPayload & { sub: string };
    try {
      const idToken = await redeemCode(callback.code, flow.verifier);
      claims = await verifyIdToken(idToken, { nonce: flow.nonce, authenticatedAfter: flow.reauth ? flow.startedAt : undefined });
    } catch (error) {
      if (error instanceof OidcSignInRefused) {
        await storage.write((s) =>
          audit.record(s, { action: 'staff.login_failed', actor: { type: 'staff', id: null, name: null }, origin, detail: `oidc_${error.reason}` }),
        );
      }
      throw error;
    }
    const started = await admit(claims, origin, replacing);
    await throttle.forgiveLoginAttempt({ email: null, ip: origin.ip ?? null });
    return { ...started, next: flow.next };
  }

  return { startOidcSignIn, finishOidcSignIn, verifyIdToken };
}

export type OidcSignIn = ReturnType<typeof createOidcSignIn>;
