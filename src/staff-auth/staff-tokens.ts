import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../clock.js';
import type { SigningKeyPair } from '../crypto/signing-keys.js';
import { BadRequest, Unauthorized } from '../errors.js';
import type { StaffRecord, StaffRole, StaffStore } from './staff-store.js';

export const TOKEN_AUDIENCE = 'ticketvault-api';
export const CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
const MAX_CACHED_TOKENS = 10_000;

/** The staff member a request acts for, as read from the database on each request. */
export interface StaffPrincipal {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
}

export interface StaffTokenDeps {
  staffStore: StaffStore;
  signing: SigningKeyPair;
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

export function createStaffTokens(deps: StaffTokenDeps) {
  const { staffStore, signing, issuer, clock } = deps;

  /** A bearer JWT (EdDSA) for a staff member; their role is read fresh on every request. */
  async function issueStaffToken(staff: StaffRecord, ttlSeconds: number): Promise<{ token: string; expiresAt: string }> {
    const now = Math.floor(clock.now() / 1000);
    const token = await new SignJWT({ email: staff.email })
      .setProtectedHeader({ alg: 'EdDSA', kid: signing.id, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(staff.id)
      .setIssuedAt(now)
      .setNotBefore(now - 1)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomUUID())
      .sign(signing.privateKey);
    return { token, expiresAt: new Date((now + ttlSeconds) * 1000).toISOString() };
  }

  // Verified tokens, kept until they expire: signature checks cost ~100 µs and a console or
  // script sends the same token on every request. The staff row is still read every time, so a
  // disabled or deleted member is refused at once.
  const verified = new Map<string, { sub: string; notBefore: number; expiresAt: number }>();
  const toleranceMs = CLOCK_TOLERANCE_SECONDS * 1000;

  async function verifiedSubject(token: string): Promise<string> {
    const now = clock.now();
    const cached = verified.get(token);
    if (cached) {
      if (now >= cached.expiresAt + toleranceMs) {
        verified.delete(token);
        throw new Unauthorized('token_expired', 'The token has expired; sign in again.');
      }
      if (now >= cached.notBefore - toleranceMs) return cached.sub;
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, signing.publicKey, {
        algorithms: ['EdDSA'],
        issuer,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ['exp', 'sub', 'iat'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new Unauthorized('token_expired', 'The token has expired; sign in again.');
      throw new Unauthorized('invalid_token', 'The bearer token is not valid.');
    }
    if (!payload.sub) throw new Unauthorized('invalid_token', 'The bearer token is not valid.');
    if (verified.size >= MAX_CACHED_TOKENS) verified.delete(verified.keys().next().value!);
    verified.set(token, { sub: payload.sub, notBefore: (payload.nbf ?? payload.iat ?? 0) * 1000, expiresAt: payload.exp! * 1000 });
    return payload.sub;
  }

  /** Verifies a bearer token (algorithm pinned, issuer, audience, exp) and that its staff member may still act. */
  async function authenticateStaffToken(token: string): Promise<StaffPrincipal> {
    const staff = staffStore.get(await verifiedSubject(token));
    if (!staff || staff.disabledAt !== null) throw new Unauthorized('invalid_token', 'The bearer token is not valid.');
    return { id: staff.id, email: staff.email, name: staff.name, role: staff.role };
  }

  return { issueStaffToken, authenticateStaffToken };
}

export type StaffTokens = ReturnType<typeof createStaffTokens>;
