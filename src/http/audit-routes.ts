import { Router, type Response } from 'express';
import { z } from 'zod';
import { AUDIT_ACTIONS, type Audit, type AuditFilter } from '../audit/audit.js';
import type { ChainVerifier } from '../audit/audit-verify.js';
import { isoDateTime, isUuid, pageLimit, parseInput } from '../validation.js';
import { authenticateStaff, requireRole, type StaffAuthDeps } from './staff-auth.js';

export interface AuditRouteDeps extends StaffAuthDeps {
  audit: Audit;
  chainVerifier: ChainVerifier;
  clock: { now(): number };
}

export const auditQuerySchema = z.strictObject({
  ticketId: z.string().refine(isUuid, 'must be a ticket id').optional(),
  credentialId: z.string().refine(isUuid, 'must be a credential id').optional(),
  actorId: z.string().max(100).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  since: isoDateTime.optional(),
  until: isoDateTime.optional(),
  limit: pageLimit,
  cursor: z.string().max(100).optional(),
});

const exportQuerySchema = auditQuerySchema.omit({ limit: true, cursor: true });
const verifyQuerySchema = z.strictObject({ head: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be a head hash (64 hex digits)').optional() });
const EXPORT_PAGE = 500;

/** Writes a line, waiting for the client to take it when the socket's buffer is full. */
function writeLine(res: Response, line: string): Promise<void> {
  if (res.write(line)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const drained = () => {
      res.off('close', closed);
      resolve();
    };
    const closed = () => {
      res.off('drain', drained);
      reject(new Error('client went away during the audit export'));
    };
    res.once('drain', drained);
    res.once('close', closed);
  });
}

/** GET /audit, GET /audit/export (JSON Lines) and GET /audit/verify, for admins and auditors. */
export function auditRoutes(deps: AuditRouteDeps): Router {
  const { audit, clock } = deps;
  const router = Router();
  const auditor = [authenticateStaff(deps), requireRole('auditor')];

  router.get('/audit', ...auditor, async (req, res) => {
    res.json(await audit.listEvents(parseInput(auditQuerySchema, req.query, 'query')));
  });

  // Newest first, like GET /audit, in pages: the database is never held open between writes.
  router.get('/audit/export', ...auditor, async (req, res) => {
    const filter: AuditFilter = parseInput(exportQuerySchema, req.query, 'query');
    const day = new Date(clock.now()).toISOString().slice(0, 10);
    res
      .status(200)
      .type('application/jsonl; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="ticketvault-audit-${day}.jsonl"`)
      .set('Cache-Control', 'no-store');
    let cursor: string | undefined;
    do {
      const page = await audit.listEvents({ ...filter, limit: EXPORT_PAGE, cursor });
      for (const event of page.items) await writeLine(res, JSON.stringify(event) + '\n');
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    res.end();
  });

  router.get('/audit/verify', ...auditor, async (req, res) => {
    const { head } = parseInput(verifyQuerySchema, req.query, 'query');
    res.json(await deps.chainVerifier.verify(head));
  });

  return router;
}
