import type { RequestHandler } from 'express';
import { requestLoggerOf, type Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { routeOf } from './problems.js';

/** One line and one metric sample per request: method, route template, status, time. Never the URL, headers or body. */
export function requestLog(log: Logger, metrics: Metrics): RequestHandler {
  const lines = requestLoggerOf(log);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const route = routeOf(req);
      metrics.httpRequests.inc({ method: req.method, route, status: res.statusCode });
      metrics.httpDuration.observe({ route }, ms / 1000);
      lines.info({ method: req.method, route, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}
