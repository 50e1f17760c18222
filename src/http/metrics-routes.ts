import { Router, type Request } from 'express';
import type { Metrics } from '../metrics.js';
import type { StaffTokens } from '../staff-auth/staff-tokens.js';
import { Forbidden } from '../errors.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** A scraper on the same host, connecting directly (not through a proxy). */
const isLocalScrape = (req: Request) =>
  LOOPBACK.has(req.socket.remoteAddress ?? '') && req.get('x-forwarded-for') === undefined && req.get('forwarded') === undefined;

/** GET /metrics: open to a direct loopback scraper, otherwise an admin or auditor bearer token. */
export function metricsRoutes(deps: { metrics: Metrics; staffTokens: StaffTokens }): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (!isLocalScrape(req)) {
      const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
      if (!match) throw new Forbidden('forbidden', 'Metrics are served to loopback scrapers or to admin/auditor tokens.');
      const staff = await deps.staffTokens.authenticateStaffToken(match[1]!);
      if (staff.role === 'engineer') throw new Forbidden('forbidden', 'Metrics need the admin or auditor role.');
    }
    res.set('Cache-Control', 'no-store').type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
