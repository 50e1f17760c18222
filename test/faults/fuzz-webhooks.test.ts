import { checkVaultSound, fuzzVaultPerFile } from './fuzz-vault.js';
import { fuzzRequests, hookAuth, hookMayBeAuthentic, requestPlan, routesOf, type HookAuth } from './http-arbitraries.js';

// Issue 12, "fuzzing": helpdesk and Zendesk deliveries with arbitrary bodies, signed with the
// right secret (inside and outside the time window) and with wrong, missing or junk signatures.

describe('fuzzing the webhooks', () => {
  const fuzzVault = fuzzVaultPerFile();

  it('never answers ≥ 500, refuses with problem+json and a stable code, changes nothing when it refuses, and never applies an unauthenticated delivery', async () => {
    const authentic = (plan: { auth: unknown }) => hookMayBeAuthentic(plan.auth as HookAuth);
    await fuzzRequests(fuzzVault(), requestPlan(routesOf('hook'), hookAuth), (plan) => ({ kind: 'api', authorized: authentic(plan) ? undefined : false }), 400);
    await checkVaultSound(fuzzVault());
  });
});
