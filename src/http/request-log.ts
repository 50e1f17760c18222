import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { routeOf } from './problems.js';

/** One line per request: method, route template, status, time. Never the URL, headers or body. */
export function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info({ method: req.method, route: routeOf(req), status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}
