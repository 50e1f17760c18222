import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Forbidden, Unauthorized } from '../errors.js';
import type { Actor } from '../audit/audit.js';
import type { StaffRole } from '../staff-auth/staff-store.js';
import type { StaffPrincipal, StaffTokens } from '../staff-auth/staff-tokens.js';

/** Authenticates a staff request by bearer JWT; the principal lands in res.locals.staff. */
export function authenticateStaff(tokens: StaffTokens): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    const match = header ? /^Bearer\s+([A-Za-z0-9_.-]+)\s*$/i.exec(header) : null;
    if (!match) throw new Unauthorized('unauthorized', 'Send Authorization: Bearer <token> (see `ticketvault staff token`).');
    res.locals.staff = await tokens.authenticateStaffToken(match[1]!);
    next();
  };
}

/** admin passes every staff check; the others need one of the listed roles. */
export function requireRole(...roles: StaffRole[]): RequestHandler {
  return (_req, res, next) => {
    const staff = res.locals.staff as StaffPrincipal | undefined;
    if (!staff) throw new Unauthorized();
    if (staff.role !== 'admin' && !roles.includes(staff.role)) {
      throw new Forbidden('forbidden', `This needs the ${roles.join(' or ')} role; you are ${staff.role}.`);
    }
    next();
  };
}

export function staffActor(res: Response): Actor {
  const staff = res.locals.staff as StaffPrincipal;
  return { type: 'staff', id: staff.id, name: staff.name };
}
