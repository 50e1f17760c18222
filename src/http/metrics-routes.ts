import { Router } from 'express';
import { constantTimeEqual, hashToken } from '../crypto/tokens.js';
import { NotFound, Unauthorized } from '../errors.js';
import type { Metrics } from '../metrics.js';

/**
 * GET /metrics: only for `Authorization: Bearer <METRICS_TOKEN>`, never for an address (a proxy on
 * the same host makes every client look local). Without METRICS_TOKEN there is no such endpoint.
 */
export function metricsRoutes(deps: { metrics: Metrics; metricsToken?: string }): Router {
  const router = Router();
  // Digests of equal length, so the comparison's time says nothing about the token's length either.
  const expected = deps.metricsToken === undefined ? null : hashToken(deps.metricsToken);
  router.get('/metrics', async (req, res) => {
    if (!expected) throw new NotFound('not_found', 'There is no such endpoint.');
    const presented = /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (presented === undefined || !constantTimeEqual(hashToken(presented), expected)) {
      throw new Unauthorized('unauthorized', 'Metrics need Authorization: Bearer <METRICS_TOKEN>.');
    }
    res.set('Cache-Control', 'no-store').type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
