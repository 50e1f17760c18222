import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { accountRoutes, type AccountRouteDeps } from './http/account-routes.js';
import { downloadRoutes, uploadRoutes, type AttachmentRouteDeps } from './http/attachment-routes.js';
import { auditRoutes, type AuditRouteDeps } from './http/audit-routes.js';
import { authRoutes, type AuthRouteDeps } from './http/auth-routes.js';
import { consoleRoutes, type ConsoleRouteDeps } from './http/console-routes.js';
import { customerRateLimit, type SharedRateLimits } from './http/customer-rate-limit.js';
import { customerRoutes, type CustomerRouteDeps } from './http/customer-routes.js';
import { healthRoutes } from './http/health-routes.js';
import { hookRoutes, type HookRouteDeps } from './http/hook-routes.js';
import { jsonBody } from './http/json-body.js';
import { metricsRoutes } from './http/metrics-routes.js';
import { pageRoutes, webAssets, type PageRouteDeps } from './http/page-routes.js';
import { portalRoutes, type PortalRouteDeps } from './http/portal-routes.js';
import { errorHandler, unknownEndpoint } from './http/problems.js';
import { requestLog } from './http/request-log.js';
import { outgoingWebhookRoutes, type OutgoingWebhookRouteDeps } from './http/outgoing-webhook-routes.js';
import { staffAdminRoutes, type StaffAdminRouteDeps } from './http/staff-admin-routes.js';
import { staffRoutes, type StaffRouteDeps } from './http/staff-routes.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Storage } from './storage/storage.js';

export interface AppDeps
  extends StaffRouteDeps,
    CustomerRouteDeps,
    PageRouteDeps,
    HookRouteDeps,
    AuthRouteDeps,
    AuditRouteDeps,
    StaffAdminRouteDeps,
    OutgoingWebhookRouteDeps,
    AccountRouteDeps,
    AttachmentRouteDeps,
    ConsoleRouteDeps,
    PortalRouteDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  storage: Storage;
  /** Customer rate-limit windows shared by every instance (PostgreSQL); without it, this process's own. */
  sharedRateLimits?: SharedRateLimits;
  metrics: Metrics;
}

/**
 * Hands a request to `router` only when its path is under one of `prefixes`: Express otherwise
 * tries every route of every router in turn, which measurably slowed the hot reveal path.
 */
function under(prefixes: string[], router: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const path = req.path;
    if (prefixes.some((p) => path === p || path.startsWith(p + '/'))) return router(req, res, next);
    next();
  };
}

/** The Express app, without listening: main.ts listens, tests drive it with supertest. */
export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.config.trustProxy);
  app.set('query parser', 'simple');

  app.use(requestLog(deps.log, deps.metrics));
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      // The same as frame-ancestors 'none', for browsers that read only the older header.
      xFrameOptions: { action: 'deny' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      strictTransportSecurity: deps.config.publicUrl.startsWith('https:'),
    }),
  );

  const customerLimit = customerRateLimit({ perMinute: deps.config.customerRateLimitPerMinute, clock: deps.clock, shared: deps.sharedRateLimits });

  const api = express.Router();
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  // Webhooks read their raw bytes (signatures cover exactly what was sent), so they come before the JSON parser.
  api.use(under(['/hooks'], hookRoutes(deps)));
  // Counted before the body is parsed: a flood should cost as little as possible.
  api.use(under(['/intake', '/receipts'], customerLimit));
  // Encrypted file uploads are raw bytes: routed before the JSON parser, which refuses any other type.
  api.use(under(['/intake', '/receipts'], uploadRoutes(deps)));
  api.use(jsonBody());
  api.use(under(['/intake', '/receipts'], customerRoutes(deps)));
  api.use(under(['/tickets', '/intake-links', '/credentials'], staffRoutes(deps)));
  api.use(under(['/credentials'], downloadRoutes(deps)));
  api.use(under(['/auth'], authRoutes(deps)));
  api.use(under(['/account'], accountRoutes(deps)));
  api.use(under(['/audit'], auditRoutes(deps)));
  api.use(under(['/staff'], staffAdminRoutes(deps)));
  api.use(under(['/webhooks'], outgoingWebhookRoutes(deps)));
  api.use(unknownEndpoint);
  app.use('/api/v1', api);

  app.use(healthRoutes(deps));
  app.use(metricsRoutes({ metrics: deps.metrics, metricsToken: deps.config.metricsToken }));
  app.use('/assets', webAssets(deps.log));
  app.use(pageRoutes(deps, customerLimit));
  // The customer portal's prefix is limited ahead of the portal itself.
  app.use('/portal', customerLimit);
  app.use(portalRoutes(deps));
  app.use(consoleRoutes(deps));

  app.use(unknownEndpoint);
  app.use(errorHandler(deps.log));
  return app;
}
