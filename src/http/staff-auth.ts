import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Actor } from '../audit/audit.js';
import { Forbidden, Unauthorized, VaultError } from '../errors.js';
import type { SecondFactors } from '../staff-auth/second-factors.js';
import type { StaffSession, StaffSessions } from '../staff-auth/staff-sessions.js';
import type { StaffRole } from '../staff-auth/staff-roles.js';
import type { StaffPrincipal, StaffTokens } from '../staff-auth/staff-tokens.js';

/**
 * DESIGN "Cookies": behind https a cookie's name carries the `__Host-` prefix, which browsers
 * accept only with Secure, Path=/ and no Domain, so a sibling subdomain cannot plant or shadow
 * it; the plain name only on http (a local install). Each vault reads only its own scheme's name.
 */
export const cookieName = (config: { publicUrl: string }, name: 'tv_session' | 'tv_oidc' | 'tv_lang' | 'tv_portal') =>
  config.publicUrl.startsWith('https:') ? `__Host-${name}` : name;

/** Secure exactly when the name is `__Host-` (Path=/ and no Domain are set by every caller). */
export const isSecureCookie = (config: { publicUrl: string }) => config.publicUrl.startsWith('https:');

export interface StaffAuthDeps {
  staffTokens: StaffTokens;
  staffSessions: StaffSessions;
  config: { publicUrl: string; publicOrigin: string };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie from the Cookie header (the first, if sent twice). */
export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The console's session cookie (named in the OpenAPI document's `session` scheme). */
export const sessionCookieOf = (req: Request, config: { publicUrl: string }) => cookieOf(req, cookieName(config, 'tv_session'));

const sessionCookieOptions = (config: { publicUrl: string }) => ({ httpOnly: true, sameSite: 'strict' as const, secure: isSecureCookie(config), path: '/' });

/** HttpOnly, SameSite=Strict, Secure when PUBLIC_URL is https; lives as long as the session may idle. */
export function setSessionCookie(res: Response, config: { publicUrl: string }, token: string, maxAgeMs: number): void {
  res.cookie(cookieName(config, 'tv_session'), token, { ...sessionCookieOptions(config), maxAge: Math.max(0, maxAgeMs) });
}

export function clearSessionCookie(res: Response, config: { publicUrl: string }): void {
  res.clearCookie(cookieName(config, 'tv_session'), sessionCookieOptions(config));
}

/**
 * DESIGN.md "CSRF": a state-changing request authenticated by the session cookie must come from
 * PUBLIC_URL's origin (Origin, or failing that Referer) and not say it is cross-site. Null when it may go on.
 */
export function csrfRejection(req: Request, publicOrigin: string): string | null {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return `Sec-Fetch-Site is ${site}`;
  const origin = req.get('origin');
  if (origin !== undefined) return origin === publicOrigin ? null : 'Origin is another site';
  const referer = req.get('referer');
  if (referer !== undefined && URL.canParse(referer) && new URL(referer).origin === publicOrigin) return null;
  return referer === undefined ? 'no Origin or Referer' : 'Referer is another site';
}

export const csrfRejected = () =>
  new Forbidden('csrf_rejected', 'This request did not come from the console page; reload the console and try again.');

/**
 * Authenticates a staff request by `Authorization: Bearer <jwt>` or, failing that, the console's
 * session cookie (which slides forward as it is used). The principal lands in res.locals.staff,
 * and for a cookie the session in res.locals.session. Bearer requests are exempt from the CSRF check.
 */
export function authenticateStaff(deps: StaffAuthDeps, options: { duringEnrolment?: boolean } = {}): RequestHandler {
  const { staffTokens, staffSessions, config } = deps;
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (header !== undefined) {
      const match = /^Bearer\s+([A-Za-z0-9_.-]+)\s*$/i.exec(header);
      if (!match) throw new Unauthorized('unauthorized', 'Send Authorization: Bearer <token> (see `ticketvault staff token`).');
      res.locals.staff = await staffTokens.authenticateStaffToken(match[1]!);
      next();
      return;
    }
    const cookie = sessionCookieOf(req, config);
    if (cookie === undefined) {
      throw new Unauthorized('unauthorized', 'Sign in to the console, or send Authorization: Bearer <token> (see `ticketvault staff token`).');
    }
    if (!SAFE_METHODS.has(req.method) && csrfRejection(req, config.publicOrigin)) throw csrfRejected();
    let authenticated: Awaited<ReturnType<StaffSessions['authenticateSession']>>;
    try {
      authenticated = await staffSessions.authenticateSession(cookie);
    } catch (error) {
      if (error instanceof Unauthorized) clearSessionCookie(res, config); // not on a storage fault: the session still holds
      throw error;
    }
    const { session, renewed } = authenticated;
    if (renewed) setSessionCookie(res, config, cookie, session.expiresInMs);
    // MFA required and none enrolled (decision 022): the account's enrolment and nothing else.
    if (session.enrolmentDue && !options.duringEnrolment) throw enrolmentRequired();
    res.locals.staff = session.staff;
    res.locals.session = session;
    next();
  };
}

export const enrolmentRequired = () =>
  new Forbidden('mfa_enrolment_required', 'This vault requires a second factor: add an authenticator app on your account page (/console/account) first.');

/** admin passes every staff check; the others need one of the listed roles. */
export function requireRole(...roles: StaffRole[]): RequestHandler {
  return (_req, res, next) => {
    const staff = res.locals.staff as StaffPrincipal | undefined;
    if (!staff) throw new Unauthorized();
    if (staff.role !== 'admin' && !roles.includes(staff.role)) {
      throw new Forbidden('forbidden', `This needs the ${roles.join(' or ')} role; you are ${staff.role}.`);
    }
    next();
  };
}

/**
 * Step-up: a console session whose sign-in is older than STEP_UP_AFTER_MS must sign in again
 * before this (a reveal). Bearer tokens are exempt: their holder chose their lifetime.
 */
export function requireRecentSignIn(deps: { staffSessions: StaffSessions; secondFactors: SecondFactors }): RequestHandler {
  return async (_req, res, next) => {
    const session = res.locals.session as StaffSession | undefined;
    if (session && deps.staffSessions.needsStepUp(session)) {
      // What the step-up asks for: a member with a second factor confirms with it, not the password.
      const kinds = session.method === 'oidc' ? [] : await deps.secondFactors.secondFactorKinds(session.staff.id);
      const stepUp = session.method === 'oidc' ? 'sso' : kinds.length ? 'second_factor' : 'password';
      throw new VaultError(401, 'reauthentication_required', 'Unauthorized', 'Confirm it is you: sign in again before revealing a credential.', {
        stepUp,
        passkey: kinds.includes('passkey'),
      });
    }
    next();
  };
}

export function staffActor(res: Response): Actor {
  const staff = res.locals.staff as StaffPrincipal;
  return { type: 'staff', id: staff.id, name: staff.name };
}
