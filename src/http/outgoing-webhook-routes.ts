import { Router, type Request, type Response } from 'express';
import type { OutgoingWebhooks, WebhookChangedBy } from '../outgoing-webhooks/outgoing-webhooks.js';
import { param } from './params.js';
import { originOf } from './request-origin.js';
import { authenticateStaff, requireRole, staffActor, type StaffAuthDeps } from './staff-auth.js';

export interface OutgoingWebhookRouteDeps extends StaffAuthDeps {
  outgoingWebhooks: OutgoingWebhooks;
}

const adminOf = (req: Request, res: Response): WebhookChangedBy => ({ actor: staffActor(res), origin: originOf(req) });

/** Outgoing webhook endpoints, admins only: list with their delivery state, add (the secret shown once), remove, and one's deliveries. */
export function outgoingWebhookRoutes(deps: OutgoingWebhookRouteDeps): Router {
  const { outgoingWebhooks } = deps;
  const router = Router();
  const admin = [authenticateStaff(deps), requireRole('admin')];

  router.get('/webhooks', ...admin, async (_req, res) => {
    res.json({ items: await outgoingWebhooks.listWebhookEndpoints() });
  });
  router.post('/webhooks', ...admin, async (req, res) => {
    res.status(201).json(await outgoingWebhooks.addWebhookEndpoint(req.body, adminOf(req, res)));
  });
  router.delete('/webhooks/:id', ...admin, async (req, res) => {
    await outgoingWebhooks.removeWebhookEndpoint(param(req, 'id'), adminOf(req, res));
    res.status(204).end();
  });
  router.get('/webhooks/:id/deliveries', ...admin, async (req, res) => {
    res.json({ items: await outgoingWebhooks.listWebhookDeliveries(param(req, 'id'), req.query) });
  });
  return router;
}
