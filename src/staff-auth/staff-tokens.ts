import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../clock.js';
import type { SigningKeyPair } from '../crypto/signing-keys.js';
import { BadRequest, Unauthorized } from '../errors.js';
import type { StaffRecord, StaffRole, StaffStore } from './staff-store.js';

export const TOKEN_AUDIENCE = 'ticketvault-api';
export const CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

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

  /** Verifies a bearer token (algorithm pinned, issuer, audience, exp) and that its staff member may still act. */
  async function authenticateStaffToken(token: string): Promise<StaffPrincipal> {
    let sub: string | undefined;
    try {
      const { payload } = await jwtVerify(token, signing.publicKey, {
        algorithms: ['EdDSA'],
        issuer,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ['exp', 'sub', 'iat'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(clock.now()),
      });
      sub = payload.sub;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new Unauthorized('token_expired', 'The token has expired; sign in again.');
      throw new Unauthorized('invalid_token', 'The bearer token is not valid.');
    }
    const staff = sub ? staffStore.get(sub) : undefined;
    if (!staff || staff.disabledAt !== null) throw new Unauthorized('invalid_token', 'The bearer token is not valid.');
    return { id: staff.id, email: staff.email, name: staff.name, role: staff.role };
  }

  return { issueStaffToken, authenticateStaffToken };
}

export type StaffTokens = ReturnType<typeof createStaffTokens>;
