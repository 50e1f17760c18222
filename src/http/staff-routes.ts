import { Router } from 'express';
import { z } from 'zod';
import { AUDIT_ACTIONS, type Audit } from '../audit/audit.js';
import type { Credentials } from '../credentials/credentials.js';
import type { IntakeLinks } from '../intake-links/intake-links.js';
import type { Reveal } from '../reveal/reveal.js';
import type { Tickets } from '../tickets/tickets.js';
import { isoDateTime, isUuid, pageLimit, parseInput } from '../validation.js';
import { param } from './params.js';
import { originOf } from './request-origin.js';
import { authenticateStaff, requireRecentSignIn, requireRole, staffActor, type StaffAuthDeps } from './staff-auth.js';

export interface StaffRouteDeps extends StaffAuthDeps {
  tickets: Tickets;
  intakeLinks: IntakeLinks;
  credentials: Credentials;
  reveal: Reveal;
  audit: Audit;
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

/** Staff API: engineers work tickets, links and credentials; admins and auditors read the audit log. */
export function staffRoutes(deps: StaffRouteDeps): Router {
  const { tickets, intakeLinks, credentials, reveal, audit } = deps;
  const router = Router();
  const engineer = [authenticateStaff(deps), requireRole('engineer')];
  const auditor = [authenticateStaff(deps), requireRole('auditor')];

  // First: the hot path; Express tries routes in order.
  router.post('/credentials/:id/reveal', ...engineer, requireRecentSignIn(deps.staffSessions), async (req, res) => {
    const revealed = await reveal.revealCredential(param(req, 'id'), req.body, staffActor(res), originOf(req));
    res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache').json(revealed);
  });
  router.post('/tickets', ...engineer, async (req, res) => {
    res.status(201).json(await tickets.createTicket(req.body, staffActor(res), originOf(req)));
  });
  router.get('/tickets', ...engineer, async (req, res) => {
    res.json(await tickets.listTickets(req.query));
  });
  router.get('/tickets/:id', ...engineer, async (req, res) => {
    res.json(await tickets.getTicketDetail(param(req, 'id')));
  });
  router.post('/tickets/:id/close', ...engineer, async (req, res) => {
    res.json(await tickets.closeTicket(param(req, 'id'), staffActor(res), originOf(req)));
  });
  router.post('/tickets/:id/intake-links', ...engineer, async (req, res) => {
    res.status(201).json(await intakeLinks.createIntakeLink(param(req, 'id'), req.body, staffActor(res), originOf(req)));
  });
  router.delete('/intake-links/:id', ...engineer, async (req, res) => {
    await intakeLinks.revokeIntakeLink(param(req, 'id'), staffActor(res), originOf(req));
    res.status(204).end();
  });
  router.get('/credentials/:id', ...engineer, async (req, res) => {
    res.json(await credentials.getCredential(param(req, 'id')));
  });
  router.delete('/credentials/:id', ...engineer, async (req, res) => {
    await credentials.revokeCredential(param(req, 'id'), staffActor(res), originOf(req));
    res.status(204).end();
  });
  router.get('/audit', ...auditor, async (req, res) => {
    res.json(await audit.listEvents(parseInput(auditQuerySchema, req.query, 'query')));
  });
  return router;
}
