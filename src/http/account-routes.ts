import { Router, type Request, type Response } from 'express';
import type { Passkeys } from '../staff-auth/passkeys.js';
import type { SecondFactors } from '../staff-auth/second-factors.js';
import type { Staff } from '../staff-auth/staff.js';
import type { StaffPrincipal } from '../staff-auth/staff-tokens.js';
import { param } from './params.js';
import { originOf } from './request-origin.js';
import { authenticateStaff, staffActor, type StaffAuthDeps } from './staff-auth.js';

export interface AccountRouteDeps extends StaffAuthDeps {
  staff: Staff;
  secondFactors: SecondFactors;
  passkeys: Passkeys;
}

const me = (res: Response) => res.locals.staff as StaffPrincipal;
const byMe = (req: Request, res: Response) => ({ actor: staffActor(res), origin: originOf(req) });

/**
 * The signed-in member's own second factors (DESIGN "Staff MFA"): open while enrolment is due,
 * when nothing else is.
 */
export function accountRoutes(deps: AccountRouteDeps): Router {
  const { secondFactors, staff, passkeys } = deps;
  const router = Router();
  const member = authenticateStaff(deps, { duringEnrolment: true });

  router.get('/account/security', member, async (_req, res) => {
    res.json(await secondFactors.getAccountSecurity(me(res).id));
  });
  router.post('/account/totp', member, async (req, res) => {
    res.status(201).json(await secondFactors.startTotpEnrolment(me(res).id, req.body));
  });
  router.post('/account/totp/:id/confirm', member, async (req, res) => {
    res.json(await secondFactors.confirmTotpEnrolment(me(res).id, param(req, 'id'), req.body, byMe(req, res)));
  });
  router.post('/account/passkeys/options', member, async (_req, res) => {
    res.json(await passkeys.startPasskeyRegistration(await staff.requireStaff(me(res).id)));
  });
  router.post('/account/passkeys', member, async (req, res) => {
    res.json(await secondFactors.registerPasskey(await staff.requireStaff(me(res).id), req.body, byMe(req, res)));
  });
  router.post('/account/factors/:id/remove', member, async (req, res) => {
    res.json(await secondFactors.removeSecondFactor(await staff.requireStaff(me(res).id), param(req, 'id'), req.body, byMe(req, res)));
  });
  router.post('/account/recovery-codes', member, async (req, res) => {
    res.json(await secondFactors.regenerateRecoveryCodes(await staff.requireStaff(me(res).id), req.body, byMe(req, res)));
  });
  return router;
}
