import { Router, type Request, type Response } from 'express';
import type { SecondFactors } from '../staff-auth/second-factors.js';
import type { ChangedBy, Staff } from '../staff-auth/staff.js';
import { param } from './params.js';
import { originOf } from './request-origin.js';
import { authenticateStaff, requireRole, staffActor, type StaffAuthDeps } from './staff-auth.js';

export interface StaffAdminRouteDeps extends StaffAuthDeps {
  staff: Staff;
  secondFactors: SecondFactors;
}

/** The admin making the change, and where from: every change is audited with them. */
const adminOf = (req: Request, res: Response): ChangedBy => ({ actor: staffActor(res), origin: originOf(req) });

/**
 * Staff administration, admins only: list, add, change role or name, disable, enable, set a
 * password, revoke tokens, link to a single sign-on subject, reset a member's second factors, and
 * the switch that makes every local account enrol one.
 */
export function staffAdminRoutes(deps: StaffAdminRouteDeps): Router {
  const { staff, secondFactors } = deps;
  const router = Router();
  const admin = [authenticateStaff(deps), requireRole('admin')];

  router.get('/staff', ...admin, async (_req, res) => {
    res.json({ items: await staff.listStaff() });
  });
  router.post('/staff', ...admin, async (req, res) => {
    res.status(201).json(await staff.addStaffMember(req.body, adminOf(req, res)));
  });
  router.patch('/staff/:id', ...admin, async (req, res) => {
    res.json(await staff.updateStaffMember(param(req, 'id'), req.body, adminOf(req, res)));
  });
  router.post('/staff/:id/disable', ...admin, async (req, res) => {
    res.json(await staff.disableStaffMember(param(req, 'id'), adminOf(req, res)));
  });
  router.post('/staff/:id/enable', ...admin, async (req, res) => {
    res.json(await staff.enableStaffMember(param(req, 'id'), adminOf(req, res)));
  });
  router.put('/staff/:id/password', ...admin, async (req, res) => {
    res.json(await staff.setStaffPassword(param(req, 'id'), req.body, adminOf(req, res)));
  });
  router.post('/staff/:id/revoke-tokens', ...admin, async (req, res) => {
    res.json(await staff.revokeStaffTokens(param(req, 'id'), adminOf(req, res)));
  });
  router.get('/staff/mfa-policy', ...admin, async (_req, res) => {
    res.json(await secondFactors.getMfaPolicy());
  });
  router.put('/staff/mfa-policy', ...admin, async (req, res) => {
    res.json(await secondFactors.setMfaRequired(req.body, adminOf(req, res)));
  });
  router.post('/staff/:id/reset-mfa', ...admin, async (req, res) => {
    res.json(await secondFactors.resetSecondFactors(param(req, 'id'), adminOf(req, res)));
  });
  router.put('/staff/:id/sso', ...admin, async (req, res) => {
    res.json(await staff.linkStaffSso(param(req, 'id'), req.body, adminOf(req, res)));
  });
  return router;
}
