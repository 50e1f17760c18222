import { Router } from 'express';
import type { Credentials } from '../credentials/credentials.js';
import type { IntakeLinks } from '../intake-links/intake-links.js';
import type { Reveal } from '../reveal/reveal.js';
import type { SecondFactors } from '../staff-auth/second-factors.js';
import type { Tickets } from '../tickets/tickets.js';
import { param } from './params.js';
import { originOf } from './request-origin.js';
import { authenticateStaff, requireRecentSignIn, requireRole, staffActor, type StaffAuthDeps } from './staff-auth.js';

export interface StaffRouteDeps extends StaffAuthDeps {
  tickets: Tickets;
  intakeLinks: IntakeLinks;
  credentials: Credentials;
  reveal: Reveal;
  secondFactors: SecondFactors;
}

/** Staff API: engineers work tickets, links and credentials (the audit log's routes are in audit-routes.ts). */
export function staffRoutes(deps: StaffRouteDeps): Router {
  const { tickets, intakeLinks, credentials, reveal } = deps;
  const router = Router();
  const engineer = [authenticateStaff(deps), requireRole('engineer')];

  // First: the hot path; Express tries routes in order.
  router.post('/credentials/:id/reveal', ...engineer, requireRecentSignIn(deps), async (req, res) => {
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
    res.json(await tickets.getTicketDetail(param(req, 'id'), staffActor(res).id));
  });
  router.patch('/tickets/:id', ...engineer, async (req, res) => {
    res.json(await tickets.updateTicket(param(req, 'id'), req.body, staffActor(res), originOf(req)));
  });
  router.post('/tickets/:id/close', ...engineer, async (req, res) => {
    res.json(await tickets.closeTicket(param(req, 'id'), staffActor(res), originOf(req)));
  });
  router.post('/tickets/:id/reopen', ...engineer, async (req, res) => {
    res.json(await tickets.reopenTicket(param(req, 'id'), staffActor(res), originOf(req)));
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
  return router;
}
