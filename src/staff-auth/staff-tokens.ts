import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import type { Clock } from '../clock.js';
import type { SigningKeys } from '../keys/vault-keys.js';
import { BadRequest, Unauthorized } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import type { StaffRole } from './staff-roles.js';
import type { StaffRecord } from './staff-store.js';

export const TOKEN_AUDIENCE = 'ticketvault-api';
export const CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
const MAX_CACHED_TOKENS = 10_000;
/**
 * The issue time in milliseconds: `iat` has whole seconds, too coarse to tell a token issued just
 * before a revocation from one issued just after it in the same second (decision 013).
 */
export const ISSUED_AT_MS_CLAIM = 'iat_ms';

/** The staff member a request acts for, as read from the database on each request. */
export interface StaffPrincipal {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
}

export interface StaffTokenDeps {
  storage: Storage;
  signing: SigningKeys;
  issuer: string;
  clock: Clock;
}

/** "8h", "30m", "2d", "90s" or plain seconds. */
export function parseTtl(ttl: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(ttl.trim());
  if (!match) throw new BadRequest('invalid_ttl', `ttl "${ttl}" is not a duration like 8h, 30m, 2d or 3600`);
  const seconds = Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (seconds < 60 || seconds > MAX_TOKEN_TTL_SECONDS) throw new BadRequest('invalid_ttl', 'ttl must be between 1 minute and 30 days');
  return seconds;
}

const invalidToken = () => new Unauthorized('invalid_token', 'The bearer token is not valid.');
const tokenExpired = () => new Unauthorized('token_expired', 'The token has expired; sign in again.');

interface VerifiedToken {
  sub: string;
  /** The signing key's id: a token signed by a key that has been rotated away stops working. */
  kid: string;
  issuedAtMs: number;
  notBefore: number;
  expiresAt: number;
}

export function createStaffTokens(deps: StaffTokenDeps) {
  const { storage, signing, issuer, clock } = deps;

  /**
   * A bearer JWT (EdDSA) for a staff member; their role is read fresh on every request. Issued
   * strictly after the member's last revocation, read from the stored row, so a token made in the
   * same millisecond as a revocation that committed before it still works.
   */
  async function issueStaffToken(staff: StaffRecord, ttlSeconds: number): Promise<{ token: string; expiresAt: string }> {
    const current = (await storage.read((s) => s.staff.get(staff.id))) ?? staff;
    const issuedAtMs = Math.max(clock.now(), current.tokensValidAfter + 1);
    const iat = Math.floor(issuedAtMs / 1000);
    const key = await signing.current();
    const token = await new SignJWT({ email: current.email, [ISSUED_AT_MS_CLAIM]: issuedAtMs })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.id, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(current.id)
      .setIssuedAt(iat)
      .setNotBefore(iat - 1)
      .setExpirationTime(iat + ttlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { token, expiresAt: new Date((iat + ttlSeconds) * 1000).toISOString() };
  }

  // Verified tokens, kept until they expire: signature checks cost ~100 µs and a console or
  // script sends the same token on every request. What can revoke a token — the staff row and the
  // current signing key — is still checked every time, against the stored state.
  const verified = new Map<string, VerifiedToken>();
  const toleranceMs = CLOCK_TOLERANCE_SECONDS * 1000;

  async function verifyToken(token: string, now: number): Promise<VerifiedToken> {
    let payload;
    let protectedHeader: JWTHeaderParameters;
    try {
      ({ payload, protectedHeader } = await jwtVerify(
        token,
        async (header) => {
          const key = await signing.current();
          if (header.kid !== key.id) throw invalidToken();
          return key.publicKey;
        },
        {
          algorithms: ['EdDSA'],
          issuer,
          audience: TOKEN_AUDIENCE,
          requiredClaims: ['exp', 'sub', 'iat'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(now),
        },
      ));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw tokenExpired();
      throw invalidToken();
    }
    if (!payload.sub) throw invalidToken();
    const issuedAtMs = payload[ISSUED_AT_MS_CLAIM];
    return {
      sub: payload.sub,
      kid: protectedHeader.kid!,
      // A token without the claim is read as issued at the start of its second: never later than it was.
      issuedAtMs: Number.isSafeInteger(issuedAtMs) ? (issuedAtMs as number) : payload.iat! * 1000,
      notBefore: (payload.nbf ?? payload.iat ?? 0) * 1000,
      expiresAt: payload.exp! * 1000,
    };
  }

  async function verifiedToken(token: string): Promise<VerifiedToken> {
    const now = clock.now();
    const cached = verified.get(token);
    if (cached) {
      if (now >= cached.expiresAt + toleranceMs) {
        verified.delete(token);
        throw tokenExpired();
      }
      if (cached.kid !== (await signing.current()).id) {
        verified.delete(token);
        throw invalidToken();
      }
      if (now >= cached.notBefore - toleranceMs) return cached;
    }
    const fresh = await verifyToken(token, now);
    if (verified.size >= MAX_CACHED_TOKENS) verified.delete(verified.keys().next().value!);
    verified.set(token, fresh);
    return fresh;
  }

  /**
   * Verifies a bearer token (algorithm pinned, current signing key, issuer, audience, exp) and
   * that its staff member may still act and has not revoked it since.
   */
  async function authenticateStaffToken(token: string): Promise<StaffPrincipal> {
    const { sub, issuedAtMs } = await verifiedToken(token);
    const staff = await storage.read((s) => s.staff.get(sub));
    if (!staff || staff.disabledAt !== null) throw invalidToken();
    if (issuedAtMs <= staff.tokensValidAfter) throw new Unauthorized('token_revoked', 'This token has been revoked; get a new one (`ticketvault staff token`).');
    return { id: staff.id, email: staff.email, name: staff.name, role: staff.role };
  }

  return { issueStaffToken, authenticateStaffToken };
}

export type StaffTokens = ReturnType<typeof createStaffTokens>;
