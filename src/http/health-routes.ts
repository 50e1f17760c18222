import { Router } from 'express';
import { ServiceUnavailable } from '../errors.js';
import { databaseAnswers, type Database } from '../storage/database.js';
import { openApiDocument } from './openapi.js';

export function healthRoutes(deps: { db: Database }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    if (!databaseAnswers(deps.db)) throw new ServiceUnavailable('not_ready', 'The database is not answering.');
    res.set('Cache-Control', 'no-store').json({ status: 'ready' });
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  return router;
}
