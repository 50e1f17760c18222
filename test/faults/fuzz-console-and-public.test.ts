import fc from 'fast-check';
import { checkRequest, checkVaultSound, fuzzRuns, fuzzVaultPerFile, signInFailureCounted, type FuzzVault } from './fuzz-vault.js';
import { bodyPlan, fuzzRequests, junkHeaders, pct, queryText, requestPlan, routesOf, staffAuth, UNKNOWN_PATH_PREFIXES, urlString, type Route, type Segment } from './http-arbitraries.js';

// Issue 12, "fuzzing": sign-in and sign-out, the console's pages, health, metrics and the
// OpenAPI document, the single sign-on callback, and paths no route knows, with and without
// credentials.

describe('fuzzing sign-in, the console and the public routes', () => {
  const fuzzVault = fuzzVaultPerFile();

  it('sign-in and sign-out: never ≥ 500, problem+json refusals; a refused sign-in changes only its audit row and the sign-in limits', async () => {
    // A refused password, second step or passkey is a failed sign-in: audited and counted.
    const login = (route: Route) => /\/auth\/(login|login\/second-factor|passkey)$/.test(route.path);
    await fuzzRequests(fuzzVault(), requestPlan(routesOf('sign-in'), staffAuth), (plan) => ({ kind: 'api', allowance: login(plan.route) ? signInFailureCounted : undefined }), 150);
  });

  it('console pages, health, metrics and the OpenAPI document: never ≥ 500, and a refusal changes nothing', async () => {
    // A refused single sign-on callback is a failed sign-in: audited and counted.
    const callback = (route: Route) => route.path === '/console/oidc/callback';
    await fuzzRequests(
      fuzzVault(),
      requestPlan(routesOf('console', 'public'), staffAuth),
      (plan) => ({ kind: plan.route.audience === 'console' ? 'page' : 'api', allowance: callback(plan.route) ? signInFailureCounted : undefined }),
      300,
    );
  });

  /** A sign-in started at the provider: the flow cookie and the state the callback must return. */
  async function startedFlow(fv: FuzzVault) {
    const start = await fv.send({ method: 'GET', url: '/console/oidc/start?next=%2Fconsole%2Ftickets', headers: {} });
    const cookie = String((start.headers['set-cookie'] as string[] | undefined)?.[0] ?? '').split(';')[0]!;
    const state = new URL(String(start.headers.location)).searchParams.get('state') ?? '';
    return { cookie, state };
  }

  it('the single sign-on callback with a live flow and arbitrary code, state and error: never ≥ 500; a refusal changes only its audit row and the sign-in limits', async () => {
    const fv = fuzzVault();
    const callback = fc.record({
      state: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, urlString),
      code: fc.oneof(fc.constant(undefined), urlString),
      error: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, fc.constantFrom('access_denied', 'login_required'), urlString),
      flow: fc.constantFrom('live', 'none', 'mangled'),
    });
    await fc.assert(
      fc.asyncProperty(callback, async ({ state, code, error, flow }) => {
        const started = await startedFlow(fv);
        const query = Object.entries({ state: state ?? started.state, code, error }).filter(([, v]) => v !== undefined);
        const cookie = { live: started.cookie, none: '', mangled: `${started.cookie}x` }[flow];
        const url = `/console/oidc/callback?${query.map(([k, v]) => `${k}=${pct(String(v))}`).join('&')}`;
        await checkRequest(fv, { method: 'GET', url, headers: cookie ? { Cookie: cookie } : {} }, { kind: 'page', allowance: signInFailureCounted });
      }),
      fuzzRuns(100),
    );
  });

  const anyPath = fc
    .record({
      method: fc.constantFrom('GET' as const, 'POST' as const, 'PUT' as const, 'PATCH' as const, 'DELETE' as const, 'OPTIONS' as const),
      prefix: fc.constantFrom(...UNKNOWN_PATH_PREFIXES),
      rest: fc.array(fc.oneof(fc.string({ maxLength: 12 }).map(pct), fc.constantFrom('%', '%zz', '..', '%2e%2e', 'index.html', 'pages.js', '%E0%A4%A')), { maxLength: 4 }),
    })
    .chain(({ method, prefix, rest }) => {
      const route: Route = { method, path: prefix + rest.join('/'), audience: 'public', fields: ['x'] };
      return fc.record({ route: fc.constant(route), segments: fc.constant<Segment[]>([]), query: queryText(), body: bodyPlan(route), auth: staffAuth(route), headers: junkHeaders });
    });

  it('paths no route knows: never ≥ 500; the API answers problem+json, the pages HTML', async () => {
    // Under a page's path (Express matches paths case-insensitively) the answer may be that
    // page's HTML refusal or the API's unknown endpoint.
    const underPage = (route: Route) => /^\/(console|s|r|portal)(\/|$)/i.test(route.path);
    await fuzzRequests(fuzzVault(), anyPath, (plan) => ({ kind: underPage(plan.route) ? 'api-or-page' : 'api' }), 200);
    await checkVaultSound(fuzzVault());
  });
});
