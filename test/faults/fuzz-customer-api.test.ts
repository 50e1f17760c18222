import fc from 'fast-check';
import { checkVaultSound, fuzzVaultPerFile } from './fuzz-vault.js';
import { fuzzRequests, malformedToken, paramsOf, requestPlan, routesOf, segment, type RequestPlan, type Route, type Segment } from './http-arbitraries.js';

// Issue 12, "fuzzing": the customer's API and pages (intake links, receipts) with arbitrary
// path, query and body, with live, ended and made-up tokens; and tokens of the wrong length or
// alphabet, which DESIGN answers with a plain 404.

describe('fuzzing the customer API and pages', () => {
  const fuzzVault = fuzzVaultPerFile();
  const kindOf = (plan: RequestPlan) => (plan.route.audience === 'page' ? 'page' : 'api');

  it('never answers ≥ 500, refuses with problem+json (API) or an HTML page, and changes nothing when it refuses', async () => {
    await fuzzRequests(fuzzVault(), requestPlan(routesOf('customer', 'page'), () => fc.constant(null)), (plan) => ({ kind: kindOf(plan) }), 500);
    await checkVaultSound(fuzzVault());
  });

  /** A request whose token is malformed, mangled, or another kind's: every other part is well-formed. */
  const wrongToken = fc.constantFrom(...routesOf('customer', 'page')).chain((route: Route) => {
    const [tokenPool, ...rest] = paramsOf(route);
    const bad: fc.Arbitrary<Segment> = fc.oneof(
      fc.record({ literal: malformedToken }),
      segment(tokenPool!).filter((s) => 'mutation' in s || ('pool' in s && s.pool !== tokenPool)),
    );
    return fc.record({
      route: fc.constant(route),
      segments: fc.tuple(bad, ...rest.map(segment)) as fc.Arbitrary<Segment[]>,
      query: fc.constant(''),
      body: fc.constant(null),
      auth: fc.constant(null),
    }) as fc.Arbitrary<RequestPlan>;
  });

  it('answers a token of the wrong length, alphabet or kind with a plain 404 that changes nothing', async () => {
    await fuzzRequests(fuzzVault(), wrongToken, (plan) => ({ kind: kindOf(plan), status: 404 }), 300);
  });
});
