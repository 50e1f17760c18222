import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Config } from './config.js';
import { customerRoutes, type CustomerRouteDeps } from './http/customer-routes.js';
import { healthRoutes } from './http/health-routes.js';
import { jsonBody } from './http/json-body.js';
import { metricsRoutes } from './http/metrics-routes.js';
import { pageRoutes, webAssets, type PageRouteDeps } from './http/page-routes.js';
import { errorHandler, unknownEndpoint } from './http/problems.js';
import { requestLog } from './http/request-log.js';
import { staffRoutes, type StaffRouteDeps } from './http/staff-routes.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Database } from './storage/database.js';

export interface AppDeps extends StaffRouteDeps, CustomerRouteDeps, PageRouteDeps {
  config: Config;
  log: Logger;
  db: Database;
  metrics: Metrics;
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
      crossOriginResourcePolicy: { policy: 'same-origin' },
      strictTransportSecurity: deps.config.publicUrl.startsWith('https:'),
    }),
  );

  app.use(healthRoutes(deps));
  app.use(metricsRoutes(deps));

  const api = express.Router();
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  api.use(jsonBody());
  api.use(customerRoutes(deps));
  api.use(staffRoutes(deps));
  api.use(unknownEndpoint);
  app.use('/api/v1', api);

  app.use('/assets', webAssets(deps.log));
  app.use(pageRoutes(deps));

  app.use(unknownEndpoint);
  app.use(errorHandler(deps.log));
  return app;
}
