import { FORGED_JWTS, forgeContext } from './forged-jwts.js';
import { checkVaultSound, fuzzVaultPerFile, revealDenialAudited } from './fuzz-vault.js';
import { authorizes, fuzzRequests, requestPlan, routesOf, staffAuth, type Auth } from './http-arbitraries.js';

// Issue 12, "fuzzing": every staff route (tickets, links, credentials, reveal, audit, staff
// administration, the session) with arbitrary path, query and body, sent with a valid bearer
// token of each role and without one (none, junk, forged JWTs, live and dead session cookies).

describe('fuzzing the staff API', () => {
  const fuzzVault = fuzzVaultPerFile();

  it('never answers ≥ 500, refuses with problem+json and a stable code, changes nothing when it refuses, and never lets in a request without valid credentials', async () => {
    const context = await forgeContext(fuzzVault());
    const forged = FORGED_JWTS.map(([, forge]) => forge(context));
    await fuzzRequests(
      fuzzVault(),
      requestPlan(routesOf('staff'), staffAuth),
      (plan) => {
        const allowed = authorizes(plan.auth as Auth, plan.route);
        // DESIGN "Reveal answers": a denial to a member allowed to reveal is audited; a file download is a reveal (DESIGN "Attachments").
        return { kind: 'api', authorized: allowed ? undefined : false, allowance: allowed && (plan.route.path.endsWith('/reveal') || plan.route.path.endsWith('/download')) ? revealDenialAudited : undefined };
      },
      600,
      forged,
    );
    await checkVaultSound(fuzzVault());
  });
});
