import { openApiDocument } from '../../src/http/openapi.js';
import { ROUTES } from './http-arbitraries.js';

// The fuzzing properties draw their requests from ROUTES: a route the API documents but ROUTES
// lacks would never be fuzzed.

const shape = (path: string) => path.replace(/\{[^}]+\}|:\w+/g, '{}');

it('ROUTES holds every operation of the OpenAPI document (add a new route there to have it fuzzed)', () => {
  const documented = Object.entries(openApiDocument.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} /api/v1${shape(path)}`),
  );
  const fuzzed = new Set(ROUTES.map((r) => `${r.method} ${shape(r.path)}`));
  expect(documented.filter((operation) => !fuzzed.has(operation))).toEqual([]);
});
