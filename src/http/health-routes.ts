import { Router } from 'express';
import { ServiceUnavailable } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import { openApiDocument } from './openapi.js';

export function healthRoutes(deps: { storage: Storage }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (!(await deps.storage.ping())) throw new ServiceUnavailable('not_ready', 'The database is not answering.');
    res.set('Cache-Control', 'no-store').json({ status: 'ready' });
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  return router;
}
