import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { BadRequest, Unauthorized } from '../errors.js';
import type { Portal } from '../portal/portal.js';
import type { Receipts } from '../receipts/receipts.js';
import type { RevealApprovals } from '../reveal/reveal-approvals.js';
import { rejectPrototypeKeys } from '../validation.js';
import {
  renderApprovalPage,
  renderPortalLinkPage,
  renderPortalPage,
  renderPortalProblemPage,
  renderPortalSignInPage,
  type PortalDone,
} from '../web/portal-pages.js';
import { customerLanguage, rememberChosenLanguage, type LanguageConfig } from './customer-language.js';
import { param } from './params.js';
import { clientProblemOf, setRetryAfter } from './problems.js';
import { originOf } from './request-origin.js';
import { cookieName, cookieOf, csrfRejected, csrfRejection, isSecureCookie } from './staff-auth.js';

export interface PortalRouteDeps {
  portal: Portal;
  receipts: Receipts;
  revealApprovals: RevealApprovals;
  config: LanguageConfig & { vendorName: string; publicOrigin: string };
}

const DONE = new Set<PortalDone>(['withdraw', 'withdrawAll', 'restrict', 'unrestrict', 'preferences']);
const ACTIONS = { withdraw: 'withdrawCredential', restrict: 'restrictCredential', unrestrict: 'unrestrictCredential' } as const;

function sendPage(res: Response, status: number, html: string): void {
  res
    .status(status)
    .type('html')
    .set('Cache-Control', 'no-store')
    .set('X-Robots-Tag', 'noindex, nofollow')
    // Same-origin: the portal's own form posts must carry Origin for the CSRF check; no other site gets a referrer.
    .set('Referrer-Policy', 'same-origin')
    .send(html);
}

/** A form body's fields, only those named (anything else is 400 unknown_field, as in the JSON API). */
function formFields(req: Request, allowed: string[]): Record<string, string> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  rejectPrototypeKeys(body);
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!allowed.includes(key)) throw new BadRequest('unknown_field', `unknown field: body.${key}`);
    if (typeof value !== 'string') throw new BadRequest('validation_failed', `body.${key}: must be given once`);
    fields[key] = value;
  }
  return fields;
}

/**
 * The customer portal (DESIGN "Customer portal", docs/decisions/027): sign-in by a mailed one-time
 * link, then a session cookie (HttpOnly, SameSite=Strict, `__Host-` behind https) for 30 minutes.
 * Every POST passes the console's CSRF check (Origin or Referer must be PUBLIC_URL's origin).
 */
export function portalRoutes(deps: PortalRouteDeps): Router {
  const { portal, receipts, revealApprovals, config } = deps;
  const router = Router();
  const sessionCookie = cookieName(config, 'tv_portal');
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: isSecureCookie(config), path: '/' };
  const language = (req: Request, res: Response) => {
    const chosen = customerLanguage(req, config);
    rememberChosenLanguage(req, res, config);
    res.set('Content-Language', chosen);
    return chosen;
  };

  router.use('/portal', express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }));
  router.use('/portal', (req, _res, next) => {
    if (req.method === 'POST' && csrfRejection(req, config.publicOrigin)) throw csrfRejected();
    next();
  });

  const session = (req: Request) => portal.authenticatePortalSession(cookieOf(req, sessionCookie));

  router.get('/portal', async (req, res) => {
    let signedIn: Awaited<ReturnType<typeof session>> | undefined;
    try {
      signedIn = await session(req);
    } catch (error) {
      if (!(error instanceof Unauthorized)) throw error;
    }
    const lang = language(req, res);
    if (!signedIn) {
      sendPage(res, 200, renderPortalSignInPage(config.vendorName, lang));
      return;
    }
    const done = typeof req.query.done === 'string' && DONE.has(req.query.done as PortalDone) ? (req.query.done as PortalDone) : null;
    sendPage(res, 200, renderPortalPage(await portal.viewPortal(signedIn.email), lang, done));
  });

  // The same page, status and (the mail leaving from the outbox) nearly the same time whether or not the address is known.
  router.post('/portal/sign-in', async (req, res) => {
    const lang = language(req, res);
    const fields = formFields(req, ['email']);
    try {
      await portal.requestSignInLink(fields, lang);
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      res.set('X-Problem-Code', error.code);
      sendPage(res, 400, renderPortalSignInPage(config.vendorName, lang, { invalid: true, email: fields.email?.slice(0, 320) }));
      return;
    }
    sendPage(res, 200, renderPortalSignInPage(config.vendorName, lang, { sent: true }));
  });

  // Opening the link shows a button; only the POST uses it up (mail scanners open links).
  router.get('/portal/sign-in/:token', async (req, res) => {
    await portal.checkSignInLink(param(req, 'token'));
    sendPage(res, 200, renderPortalLinkPage(config.vendorName, language(req, res)));
  });
  router.post('/portal/sign-in/:token', async (req, res) => {
    formFields(req, []);
    const started = await portal.signIn(param(req, 'token'));
    res.cookie(sessionCookie, started.token, { ...cookieOptions, maxAge: started.expiresInMs });
    res.redirect(303, started.language ? `/portal?lang=${started.language}` : '/portal');
  });
  router.post('/portal/sign-out', async (req, res) => {
    formFields(req, []);
    await portal.signOut(cookieOf(req, sessionCookie));
    res.clearCookie(sessionCookie, cookieOptions);
    res.redirect(303, '/portal');
  });

  router.get('/portal/export', async (req, res) => {
    const { email } = await session(req);
    // Express answers HEAD with the GET route: the session is checked, nothing is exported or audited.
    if (req.method === 'HEAD') {
      res.set('Cache-Control', 'no-store').type('json').end();
      return;
    }
    const exported = await portal.exportPortal(email, originOf(req));
    res
      .set('Cache-Control', 'no-store')
      .set('Content-Disposition', 'attachment; filename="ticketvault-portal-export.json"')
      .json(exported);
  });
  router.post('/portal/preferences', async (req, res) => {
    const { email } = await session(req);
    const fields = formFields(req, ['notifyOnReveal', 'askFirst']);
    await portal.setPortalPreferences(email, { notifyOnReveal: fields.notifyOnReveal !== undefined, askFirst: fields.askFirst !== undefined });
    res.redirect(303, '/portal?done=preferences');
  });
  router.post('/portal/withdraw-everything', async (req, res) => {
    const { email } = await session(req);
    formFields(req, []);
    await receipts.portal.withdrawEverything(email, originOf(req));
    res.redirect(303, '/portal?done=withdrawAll');
  });
  router.post('/portal/credentials/:id/:action', async (req, res) => {
    const action = param(req, 'action');
    if (!Object.hasOwn(ACTIONS, action)) throw new BadRequest('unknown_action', 'The action is withdraw, restrict or unrestrict.');
    const { email } = await session(req);
    formFields(req, []);
    const id = param(req, 'id');
    await receipts.portal[ACTIONS[action as keyof typeof ACTIONS]](email, id, originOf(req));
    res.redirect(303, `/portal?done=${action}#cred-${encodeURIComponent(id)}`);
  });

  router.get('/portal/approvals/:token', async (req, res) => {
    const view = await revealApprovals.describeRevealApproval(param(req, 'token'));
    sendPage(res, 200, renderApprovalPage(view, config.vendorName, req.query.lang ? language(req, res) : (view.language ?? language(req, res))));
  });
  router.post('/portal/approvals/:token', async (req, res) => {
    const { decision } = formFields(req, ['decision']);
    if (decision !== 'approve' && decision !== 'refuse') throw new BadRequest('validation_failed', 'body.decision: must be approve or refuse');
    const token = param(req, 'token');
    const decided = await revealApprovals.decideRevealApproval(token, decision === 'approve' ? 'approved' : 'refused', originOf(req));
    const view = await revealApprovals.describeRevealApproval(token);
    sendPage(res, 200, renderApprovalPage(view, config.vendorName, view.language ?? language(req, res), decided.decision));
  });

  // Any other portal address (a link cut short) is a page, like /s and /r: a friendly 404.
  router.get('/portal/{*rest}', (req, res) => {
    res.set('X-Problem-Code', 'not_found');
    sendPage(res, 404, renderPortalProblemPage(404, config.vendorName, language(req, res)));
  });

  const problemPage: ErrorRequestHandler = (err, req, res, next) => {
    const problem = clientProblemOf(err);
    if (!problem) {
      next(err);
      return;
    }
    setRetryAfter(res, err);
    const lang = language(req, res);
    if (problem.status === 401) {
      res.clearCookie(sessionCookie, cookieOptions);
      sendPage(res, 401, renderPortalSignInPage(config.vendorName, lang));
      return;
    }
    res.set('X-Problem-Code', problem.code);
    sendPage(res, problem.status, renderPortalProblemPage(problem.status, config.vendorName, lang));
  };
  router.use('/portal', problemPage);
  return router;
}
