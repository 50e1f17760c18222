import { Router, type Request, type Response } from 'express';
import { BadRequest } from '../errors.js';
import type { Passkeys } from '../staff-auth/passkeys.js';
import type { PasswordSignIn } from '../staff-auth/password-sign-in.js';
import { STEP_UP_AFTER_MS, type StaffSession } from '../staff-auth/staff-sessions.js';
import type { StaffPrincipal } from '../staff-auth/staff-tokens.js';
import { originOf } from './request-origin.js';
import {
  authenticateStaff,
  clearSessionCookie,
  csrfRejected,
  csrfRejection,
  sessionCookieOf,
  setSessionCookie,
  type StaffAuthDeps,
} from './staff-auth.js';

export interface AuthRouteDeps extends StaffAuthDeps {
  passwordSignIn: PasswordSignIn;
  passkeys: Passkeys;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function sessionView(staff: StaffPrincipal, session: StaffSession | undefined) {
  return {
    staff,
    session: session
      ? {
          method: session.method,
          createdAt: iso(session.createdAt),
          authenticatedAt: iso(session.authenticatedAt),
          expiresAt: iso(session.expiresAt),
          reauthenticateAfter: iso(session.authenticatedAt + STEP_UP_AFTER_MS),
          enrolmentRequired: session.enrolmentDue,
        }
      : null,
  };
}

/**
 * A browser's sign-in must come from the console itself (no login CSRF); a script that sends no
 * Origin and no Sec-Fetch-Site (curl) may sign in too.
 */
function loginCsrfRejection(req: Request, publicOrigin: string): boolean {
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  return (site !== undefined && site !== 'same-origin') || (origin !== undefined && origin !== publicOrigin);
}

/**
 * POST /auth/login (then, for a member with a second factor, POST /auth/login/second-factor),
 * POST /auth/step-up, POST /auth/logout, GET /auth/session: the console's cookie session.
 */
export function authRoutes(deps: AuthRouteDeps): Router {
  const { passwordSignIn, passkeys, staffSessions, config } = deps;
  const router = Router();

  router.post('/auth/login', async (req, res) => {
    if (loginCsrfRejection(req, config.publicOrigin)) throw csrfRejected();
    const outcome = await passwordSignIn.signInWithPassword(req.body, originOf(req), sessionCookieOf(req, config));
    if ('pending' in outcome) {
      // 202: the password was right, and the second factor comes next; no session yet.
      const { pendingToken, expiresAt, methods } = outcome.pending;
      res.status(202).json({ secondFactor: { pendingToken, expiresAt: iso(expiresAt), methods } });
      return;
    }
    const { token, session } = outcome.started;
    setSessionCookie(res, config, token, session.expiresInMs);
    res.json(sessionView(session.staff, session));
  });

  router.post('/auth/login/second-factor', async (req, res) => {
    if (loginCsrfRejection(req, config.publicOrigin)) throw csrfRejected();
    const { token, session } = await passwordSignIn.completeSignIn(req.body, originOf(req), sessionCookieOf(req, config));
    setSessionCookie(res, config, token, session.expiresInMs);
    res.json(sessionView(session.staff, session));
  });

  // Passkeys: the options for navigator.credentials.get, to sign in with a passkey alone, or (with
  // the pending token of a correct password) as the second step.
  router.post('/auth/passkey/options', async (req, res) => {
    if (loginCsrfRejection(req, config.publicOrigin)) throw csrfRejected();
    const pendingToken = (req.body as { pendingToken?: unknown } | undefined)?.pendingToken;
    const member = pendingToken === undefined ? null : await passwordSignIn.pendingMember(pendingToken);
    res.json(await passkeys.startPasskeyAssertion(member ? 'second_factor' : 'sign_in', member?.id ?? null));
  });

  router.post('/auth/passkey', async (req, res) => {
    if (loginCsrfRejection(req, config.publicOrigin)) throw csrfRejected();
    const { token, session } = await passwordSignIn.signInWithPasskey(req.body, originOf(req), sessionCookieOf(req, config));
    setSessionCookie(res, config, token, session.expiresInMs);
    res.json(sessionView(session.staff, session));
  });

  /** A passkey challenge for the signed-in member: the step-up, or confirming a change to their factors. */
  router.post('/auth/step-up/options', authenticateStaff(deps, { duringEnrolment: true }), async (_req, res) => {
    res.json(await passkeys.startPasskeyAssertion('step_up', (res.locals.staff as StaffPrincipal).id));
  });

  router.post('/auth/step-up', authenticateStaff(deps), async (req, res) => {
    const session = res.locals.session as StaffSession | undefined;
    if (!session) throw new BadRequest('no_session', 'A step-up confirms a console session; bearer tokens need none.');
    await passwordSignIn.stepUpWithSecondFactor(session, req.body, originOf(req));
    const { session: current } = await staffSessions.authenticateSession(sessionCookieOf(req, config)!);
    res.json(sessionView(current.staff, current));
  });

  router.post('/auth/logout', async (req, res: Response) => {
    const cookie = sessionCookieOf(req, config);
    if (cookie !== undefined) {
      if (csrfRejection(req, config.publicOrigin)) throw csrfRejected();
      await staffSessions.endSession(cookie, 'logout');
      clearSessionCookie(res, config);
    }
    res.status(204).end();
  });

  router.get('/auth/session', authenticateStaff(deps, { duringEnrolment: true }), (_req, res) => {
    res.json(sessionView(res.locals.staff as StaffPrincipal, res.locals.session as StaffSession | undefined));
  });

  return router;
}
