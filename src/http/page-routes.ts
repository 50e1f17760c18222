import { MAX_FILES } from '../attachments/attachment-limits.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { clientProblemOf, setRetryAfter } from './problems.js';
import type { IntakeLinks } from '../intake-links/intake-links.js';
import type { Logger } from '../logger.js';
import type { Receipts } from '../receipts/receipts.js';
import { renderIntakePage, renderProblemPage, renderReceiptPage, type ProblemPageKind } from '../web/pages.js';
import { customerLanguage, rememberChosenLanguage, type LanguageConfig } from './customer-language.js';
import { param } from './params.js';

/** Where `npm run build:web` (scripts/build-web.mjs) writes the pages' script and stylesheet. */
export const WEB_ASSETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/web/assets');

export interface PageRouteDeps {
  config: LanguageConfig & { vendorName: string; attachmentMaxBytes: number };
  keys: { intakePublicKey: string };
  intakeLinks: IntakeLinks;
  receipts: Receipts;
  log: Logger;
}

function sendPage(res: Response, status: number, html: string): void {
  res.status(status).type('html').set('Cache-Control', 'no-store').set('X-Robots-Tag', 'noindex, nofollow').send(html);
}

/** The page's language (DESIGN "Languages"), said in Content-Language; a switcher choice is remembered. */
function pageLanguage(req: Request, res: Response, config: LanguageConfig) {
  const language = customerLanguage(req, config);
  rememberChosenLanguage(req, res, config);
  res.set('Content-Language', language);
  return language;
}

/**
 * The customer pages. They read through the same domain functions as the JSON API (so the same
 * 404/410 checks apply) and opening one never uses a link up.
 */
export function pageRoutes(deps: PageRouteDeps, customerLimit: RequestHandler): Router {
  const { intakeLinks, receipts, keys, config } = deps;
  const router = Router();
  router.use(['/s', '/r'], customerLimit);

  const problemPage = (kind: ProblemPageKind): ErrorRequestHandler => (err, req, res, next) => {
    const problem = clientProblemOf(err);
    if (!problem) {
      next(err);
      return;
    }
    setRetryAfter(res, err);
    sendPage(res, problem.status, renderProblemPage(kind, problem.status, problem.code, config.vendorName, pageLanguage(req, res, config)));
  };

  // Full paths, not sub-routers, so the request log names the route template ("/s/:token").
  router.get('/s/:token', async (req, res) => {
    const view = await intakeLinks.describeIntakeLink(param(req, 'token'));
    sendPage(res, 200, renderIntakePage(view, pageLanguage(req, res, config)));
  });
  router.get(['/s', '/s/{*rest}'], (req, res) =>
    sendPage(res, 404, renderProblemPage('intake', 404, 'not_found', config.vendorName, pageLanguage(req, res, config))),
  );
  router.get('/r/:token', async (req, res) => {
    const view = await receipts.viewReceipt(param(req, 'token'));
    const attachments = { maxFiles: MAX_FILES, maxBytes: config.attachmentMaxBytes };
    sendPage(res, 200, renderReceiptPage(view, keys.intakePublicKey, pageLanguage(req, res, config), attachments));
  });
  router.get(['/r', '/r/{*rest}'], (req, res) =>
    sendPage(res, 404, renderProblemPage('receipt', 404, 'not_found', config.vendorName, pageLanguage(req, res, config))),
  );
  router.use('/s', problemPage('intake'));
  router.use('/r', problemPage('receipt'));
  return router;
}

/** The bundled script and stylesheet, same-origin; revalidated on every load so an upgrade shows at once. */
export function webAssets(log: Logger): Router {
  if (!fs.existsSync(path.join(WEB_ASSETS_DIR, 'pages.js'))) {
    log.warn('the customer pages have no script bundle: run `npm run build:web`');
  }
  const router = Router();
  router.use(
    express.static(WEB_ASSETS_DIR, {
      index: false,
      redirect: false,
      dotfiles: 'deny',
      setHeaders: (res) => res.set('Cache-Control', 'no-cache'),
    }),
  );
  return router;
}
