import { Router } from 'express';
import type { Staff } from '../staff-auth/staff.js';
import type { StaffPrincipal } from '../staff-auth/staff-tokens.js';
import { param } from './params.js';
import { authenticateStaff, requireRole, type StaffAuthDeps } from './staff-auth.js';

export interface StaffAdminRouteDeps extends StaffAuthDeps {
  staff: Staff;
}

/** Staff administration, admins only: list, add, change role or name, disable, enable, set a password. */
export function staffAdminRoutes(deps: StaffAdminRouteDeps): Router {
  const { staff } = deps;
  const router = Router();
  const admin = [authenticateStaff(deps), requireRole('admin')];

  router.get('/staff', ...admin, (_req, res) => {
    res.json({ items: staff.listStaff() });
  });
  router.post('/staff', ...admin, async (req, res) => {
    res.status(201).json(await staff.addStaffMember(req.body));
  });
  router.patch('/staff/:id', ...admin, (req, res) => {
    res.json(staff.updateStaffMember(param(req, 'id'), req.body));
  });
  router.post('/staff/:id/disable', ...admin, (req, res) => {
    res.json(staff.disableStaffMember(param(req, 'id'), (res.locals.staff as StaffPrincipal).id));
  });
  router.post('/staff/:id/enable', ...admin, (req, res) => {
    res.json(staff.enableStaffMember(param(req, 'id')));
  });
  router.put('/staff/:id/password', ...admin, async (req, res) => {
    res.json(await staff.setStaffPassword(param(req, 'id'), req.body));
  });
  return router;
}
