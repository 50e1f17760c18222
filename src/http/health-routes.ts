import { Router } from 'express';
import type { Database } from '../storage/database.js';
import { openApiDocument } from './openapi.js';
import { sendProblem } from './problems.js';

export function healthRoutes(deps: { db: Database }): Router {
  const router = Router();
  const ping = deps.db.prepare('SELECT 1 AS ok');
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    try {
      ping.get();
    } catch {
      sendProblem(res, { title: 'Service unavailable', status: 503, detail: 'The database is not answering.', code: 'not_ready' });
      return;
    }
    res.set('Cache-Control', 'no-store').json({ status: 'ready' });
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  return router;
}
