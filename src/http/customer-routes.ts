import { Router } from 'express';
import type { Credentials } from '../credentials/credentials.js';
import type { IntakeLinks } from '../intake-links/intake-links.js';
import type { Receipts } from '../receipts/receipts.js';
import { customerLanguage, type LanguageConfig } from './customer-language.js';
import { param } from './params.js';
import { originOf } from './request-origin.js';

export interface CustomerRouteDeps {
  intakeLinks: IntakeLinks;
  credentials: Credentials;
  receipts: Receipts;
  config: LanguageConfig;
}

/** The customer's API: the token in the path is the only credential. */
export function customerRoutes(deps: CustomerRouteDeps): Router {
  const { intakeLinks, credentials, receipts, config } = deps;
  const router = Router();

  router.get('/intake/:token', async (req, res) => {
    res.json(await intakeLinks.describeIntakeLink(param(req, 'token')));
  });
  router.post('/intake/:token/credentials', async (req, res) => {
    // The language the customer used: their e-mails about this receipt are written in it.
    res.status(201).json(await credentials.submitCredential(param(req, 'token'), req.body, originOf(req), customerLanguage(req, config)));
  });

  router.get('/receipts/:token', async (req, res) => {
    res.json(await receipts.viewReceipt(param(req, 'token')));
  });
  router.get('/receipts/:token/export', async (req, res) => {
    // Express answers HEAD with the GET route: it checks the receipt, but nothing is exported or audited.
    if (req.method === 'HEAD') {
      await receipts.viewReceipt(param(req, 'token'));
      res.type('json').end();
      return;
    }
    const exported = await receipts.exportReceipt(param(req, 'token'), originOf(req));
    const name = `ticketvault-${exported.ticket.externalRef.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60)}-export.json`;
    res.set('Content-Disposition', `attachment; filename="${name}"`).json(exported);
  });
  router.put('/receipts/:token/preferences', async (req, res) => {
    res.json(await receipts.setPreferences(param(req, 'token'), req.body, customerLanguage(req, config)));
  });
  router.delete('/receipts/:token/credentials/:id', async (req, res) => {
    await receipts.withdrawCredential(param(req, 'token'), param(req, 'id'), originOf(req));
    res.status(204).end();
  });
  router.post('/receipts/:token/credentials/:id/restrict', async (req, res) => {
    res.json(await receipts.restrictCredential(param(req, 'token'), param(req, 'id'), originOf(req)));
  });
  router.post('/receipts/:token/credentials/:id/unrestrict', async (req, res) => {
    res.json(await receipts.unrestrictCredential(param(req, 'token'), param(req, 'id'), originOf(req)));
  });
  router.put('/receipts/:token/credentials/:id', async (req, res) => {
    res.json(await receipts.rectifyCredential(param(req, 'token'), param(req, 'id'), req.body, originOf(req)));
  });
  return router;
}
