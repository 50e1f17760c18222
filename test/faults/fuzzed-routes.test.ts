import { openApiDocument } from '../../src/http/openapi.js';
import { createTestVault } from '../harness/test-vault.js';
import { ROUTES, UNKNOWN_PATH_PREFIXES } from './http-arbitraries.js';

// The fuzzing properties draw their requests from ROUTES: a route the API documents or the app
// serves but ROUTES lacks would never be fuzzed.

const shape = (path: string) => path.replace(/\{[^}]+\}|:\w+/g, '{}');
const fuzzed = new Set(ROUTES.map((r) => `${r.method} ${shape(r.path)}`));

it('ROUTES holds every operation of the OpenAPI document (add a new route there to have it fuzzed)', () => {
  const documented = Object.entries(openApiDocument.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} /api/v1${shape(path)}`),
  );
  expect(documented.filter((operation) => !fuzzed.has(operation))).toEqual([]);
});

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** The routes of every router the app mounts in plain sight (the pages, the portal, the console, health); the API's sit behind `under` and OpenAPI names them. */
function servedRoutes(stack: Layer[]): Array<{ method: string; path: string }> {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const paths = ([] as string[]).concat(layer.route.path);
      return Object.keys(layer.route.methods).flatMap((method) => paths.map((path) => ({ method: method.toUpperCase(), path })));
    }
    return layer.handle?.stack ? servedRoutes(layer.handle.stack) : [];
  });
}

it('ROUTES holds every page, portal and console route the app serves; a catch-all is fuzzed by the paths no route knows', async () => {
  const tv = await createTestVault();
  try {
    const served = servedRoutes((tv.app as unknown as { router: { stack: Layer[] } }).router.stack);
    expect(served.some((r) => r.path === '/portal/sign-in/:token')).toBe(true);
    const missing = served.filter(({ method, path }) => {
      const catchAll = /^(.*\/)\{\*\w+\}$/.exec(path);
      if (catchAll) return !UNKNOWN_PATH_PREFIXES.includes(catchAll[1]!);
      // A bare prefix ('/s') answered by its catch-all's route.
      if (served.some((r) => r.path === `${path}/{*rest}`)) return false;
      return !fuzzed.has(`${method} ${shape(path)}`);
    });
    expect(missing).toEqual([]);
  } finally {
    await tv.close();
  }
});
