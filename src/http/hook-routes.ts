import express, { Router, type Request, type RequestHandler } from 'express';
import type { Delivery, Webhooks, WebhookOutcome } from '../hooks/webhooks.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { JSON_LIMIT, requireJsonType } from './json-body.js';
import { originOf } from './request-origin.js';

export interface HookRouteDeps {
  webhooks: Webhooks;
  metrics: Metrics;
  log: Logger;
}

const AUTH_HEADERS = [
  'x-ticketvault-timestamp',
  'x-ticketvault-signature',
  'x-ticketvault-token',
  'x-zendesk-webhook-signature',
  'x-zendesk-webhook-signature-timestamp',
  'x-helpscout-signature',
  'x-helpscout-event',
  'x-hub-signature',
] as const;

/**
 * The body stays raw bytes: signatures are checked over exactly what was sent, before any
 * JSON is parsed. Mounted ahead of the API's JSON parser.
 */
const rawJsonBody: RequestHandler[] = [
  requireJsonType,
  express.raw({ type: 'application/json', limit: JSON_LIMIT }),
];

function deliveryOf(req: Request): Delivery {
  const headers: Record<string, string | undefined> = {};
  for (const name of AUTH_HEADERS) {
    const value = req.headers[name];
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return { body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), headers, origin: originOf(req) };
}

/** Counts and logs every delivery, refused ones included; never a header value or the body. */
function countDeliveries(source: 'helpdesk' | 'zendesk' | 'helpscout' | 'jira', deps: HookRouteDeps): RequestHandler {
  return (_req, res, next) => {
    res.on('finish', () => {
      const outcome = res.locals.webhookOutcome as WebhookOutcome | undefined;
      const result = outcome?.result ?? (res.statusCode === 401 ? 'unauthorized' : 'rejected');
      deps.metrics.webhookDeliveries.inc({ source, result });
      if (!outcome) deps.log.warn({ source, status: res.statusCode }, 'webhook delivery refused');
    });
    next();
  };
}

/** Helpdesk webhooks: the signature (or an integration's bearer secret) is the only credential. */
export function hookRoutes(deps: HookRouteDeps): Router {
  const router = Router();
  router.post('/hooks/helpdesk', countDeliveries('helpdesk', deps), ...rawJsonBody, async (req, res) => {
    const outcome = await deps.webhooks.receiveHelpdeskDelivery(deliveryOf(req));
    res.locals.webhookOutcome = outcome;
    res.status(202).json(outcome);
  });
  const receivers = {
    zendesk: deps.webhooks.receiveZendeskDelivery,
    helpscout: deps.webhooks.receiveHelpScoutDelivery,
    jira: deps.webhooks.receiveJiraDelivery,
  } as const;
  for (const [source, receive] of Object.entries(receivers) as [keyof typeof receivers, (d: Delivery) => Promise<WebhookOutcome>][]) {
    router.post(`/hooks/${source}`, countDeliveries(source, deps), ...rawJsonBody, async (req, res) => {
      const outcome = await receive(deliveryOf(req));
      res.locals.webhookOutcome = outcome;
      res.status(202).json(outcome);
    });
  }
  return router;
}
