import type { Request } from 'express';
import type { Origin } from '../audit/audit.js';

/** Where a request came from, for the audit row (req.ip honours TRUST_PROXY). */
export function originOf(req: Request): Origin {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent')?.slice(0, 500) ?? null };
}
