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

interface Visit {
  value: unknown;
  key: string;
  parent: Visit | null;
}

const pathOf = (visit: Visit): string => {
  const keys: string[] = [];
  for (let v: Visit | null = visit; v; v = v.parent) keys.push(v.key);
  return keys.reverse().join('.');
};

/** `__proto__` and friends are refused anywhere in a body, at any depth. */
export function rejectPrototypeKeys(value: unknown, what = 'body'): void {
  // An explicit stack, not recursion: a 1 MiB body can nest deeper than the call stack goes.
  const pending: Visit[] = [{ value, key: what, parent: null }];
  for (let visit = pending.pop(); visit; visit = pending.pop()) {
    const node = visit.value;
    if (node === null || typeof node !== 'object') continue;
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) {
        const at = pathOf(visit);
        throw new BadRequest('forbidden_key', `${at}: the key "${key}" is not allowed`, [{ path: `${at}.${key}`, message: 'not allowed' }]);
      }
      pending.push({ value: (node as Record<string, unknown>)[key], key, parent: visit });
    }
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
