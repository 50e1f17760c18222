import fc from 'fast-check';
import { checkVaultSound, fuzzVaultPerFile, signInFailureCounted } from './fuzz-vault.js';
import { bodyPlan, fuzzRequests, junkHeaders, pct, queryText, requestPlan, routesOf, staffAuth, type Route, type Segment } from './http-arbitraries.js';

// Issue 12, "fuzzing": sign-in and sign-out, the console's pages, health, metrics and the
// OpenAPI document, and paths no route knows, with and without credentials.

describe('fuzzing sign-in, the console and the public routes', () => {
  const fuzzVault = fuzzVaultPerFile();

  it('sign-in and sign-out: never ≥ 500, problem+json refusals; a refused sign-in changes only its audit row and the sign-in limits', async () => {
    const login = (route: Route) => route.path.endsWith('/login');
    await fuzzRequests(fuzzVault(), requestPlan(routesOf('sign-in'), staffAuth), (plan) => ({ kind: 'api', allowance: login(plan.route) ? signInFailureCounted : undefined }), 150);
  });

  it('console pages, health, metrics and the OpenAPI document: never ≥ 500, and a refusal changes nothing', async () => {
    await fuzzRequests(fuzzVault(), requestPlan(routesOf('console', 'public'), staffAuth), (plan) => ({ kind: plan.route.audience === 'console' ? 'page' : 'api' }), 300);
  });

  const PREFIXES = ['/', '/api/v1/', '/api/v1/tickets/', '/api/v1/receipts/', '/api/v1/hooks/', '/console/', '/s/', '/r/', '/assets/', '/metrics/'];
  const anyPath = fc
    .record({
      method: fc.constantFrom('GET' as const, 'POST' as const, 'PUT' as const, 'PATCH' as const, 'DELETE' as const, 'OPTIONS' as const),
      prefix: fc.constantFrom(...PREFIXES),
      rest: fc.array(fc.oneof(fc.string({ maxLength: 12 }).map(pct), fc.constantFrom('%', '%zz', '..', '%2e%2e', 'index.html', 'pages.js', '%E0%A4%A')), { maxLength: 4 }),
    })
    .chain(({ method, prefix, rest }) => {
      const route: Route = { method, path: prefix + rest.join('/'), audience: 'public', fields: ['x'] };
      return fc.record({ route: fc.constant(route), segments: fc.constant<Segment[]>([]), query: queryText(), body: bodyPlan(route), auth: staffAuth(route), headers: junkHeaders });
    });

  it('paths no route knows: never ≥ 500; the API answers problem+json, the pages HTML', async () => {
    // Under a page's path the answer may be that page's HTML refusal or the API's unknown endpoint.
    const underPage = (route: Route) => /^\/(console|s|r)\//.test(route.path);
    await fuzzRequests(fuzzVault(), anyPath, (plan) => ({ kind: underPage(plan.route) ? 'api-or-page' : 'api' }), 200);
    await checkVaultSound(fuzzVault());
  });
});
