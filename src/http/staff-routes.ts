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
  router.post('/tickets', ...engineer, (req, res) => {
    res.status(201).json(tickets.createTicket(req.body, staffActor(res), originOf(req)));
  });
  router.get('/tickets', ...engineer, (req, res) => {
    res.json(tickets.listTickets(req.query));
  });
  router.get('/tickets/:id', ...engineer, (req, res) => {
    res.json(tickets.getTicketDetail(param(req, 'id')));
  });
  router.post('/tickets/:id/close', ...engineer, (req, res) => {
    res.json(tickets.closeTicket(param(req, 'id'), staffActor(res), originOf(req)));
  });
  router.post('/tickets/:id/intake-links', ...engineer, (req, res) => {
    res.status(201).json(intakeLinks.createIntakeLink(param(req, 'id'), req.body, staffActor(res), originOf(req)));
  });
  router.delete('/intake-links/:id', ...engineer, (req, res) => {
    intakeLinks.revokeIntakeLink(param(req, 'id'), staffActor(res), originOf(req));
    res.status(204).end();
  });
  router.get('/credentials/:id', ...engineer, (req, res) => {
    res.json(credentials.getCredential(param(req, 'id')));
  });
  router.delete('/credentials/:id', ...engineer, (req, res) => {
    credentials.revokeCredential(param(req, 'id'), staffActor(res), originOf(req));
    res.status(204).end();
  });
  router.get('/audit', ...auditor, (req, res) => {
    res.json(audit.listEvents(parseInput(auditQuerySchema, req.query, 'query')));
  });
  return router;
}
