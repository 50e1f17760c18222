import { z } from 'zod';
import { BadRequest, ValidationFailed, type FieldIssue } from './errors.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses untrusted input with a zod schema; unknown keys become 400 `unknown_field`, anything
 * else 400 `validation_failed`, each naming the offending path.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.output<S> {
  rejectPrototypeKeys(input, what);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: FieldIssue[] = [];
  for (const issue of result.error.issues) {
    const at = [what, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `${at}.${k}`);
      throw new BadRequest('unknown_field', `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}`, keys.map((path) => ({ path, message: 'not allowed' })));
    }
    issues.push({ path: at, message: issue.message });
  }
  throw new ValidationFailed(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

/** `__proto__` and friends are refused anywhere in a body, at any depth. */
export function rejectPrototypeKeys(value: unknown, what = 'body', depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 32) return;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new BadRequest('forbidden_key', `${what}: the key "${key}" is not allowed`, [{ path: `${what}.${key}`, message: 'not allowed' }]);
    }
    rejectPrototypeKeys((value as Record<string, unknown>)[key], `${what}.${key}`, depth + 1);
  }
}

export const isoDateTime = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'must be an ISO 8601 date-time, e.g. 2027-01-31T23:59:59Z',
  })
  // A bare date means the end of that day (UTC): "support until 31 January" includes the 31st.
  .transform((s) => (s.length === 10 ? Date.parse(`${s}T23:59:59.999Z`) : Date.parse(s)));

/** Route ids are UUIDs; anything else cannot exist, so callers answer 404. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value);
}

export const pageLimit = z.coerce.number().int().min(1).max(200).default(50);
