import type { ConsoleStrings } from '../console-strings.js';

// The staff JSON API (/api/v1), called with the console's session cookie. Every call names its
// own origin (referrerPolicy same-origin), which the server's CSRF check needs.

export interface ApiResult {
  ok: boolean;
  status: number;
  code: string;
  body: unknown;
  retryAfter: number;
  /** Field paths the server named ("body.subject" → "subject"), for validation messages. */
  fields: string[];
}

export async function callApi(method: string, path: string, body?: unknown): Promise<ApiResult> {
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
      referrerPolicy: 'same-origin',
    });
  } catch {
    return { ok: false, status: 0, code: 'network', body: null, retryAfter: 0, fields: [] };
  }
  const isJson = /json/.test(response.headers.get('Content-Type') ?? '');
  const parsed: unknown = response.status !== 204 && isJson ? await response.json().catch(() => null) : null;
  const problem = !response.ok && parsed && typeof parsed === 'object' ? (parsed as { code?: unknown; errors?: { path?: unknown }[] }) : null;
  const fields = (problem?.errors ?? []).map((e) => String(e.path ?? '').split('.').slice(1).join('.')).filter(Boolean);
  return {
    ok: response.ok,
    status: response.status,
    code: problem ? String(problem.code ?? '') : '',
    body: parsed,
    retryAfter: Number(response.headers.get('Retry-After') ?? 0),
    fields,
  };
}

/**
 * A download (POST with a JSON body, a file back): the file as a Blob, or the problem as callApi
 * gives it. The same cookie and origin rules as callApi.
 */
export async function downloadFile(path: string, body: unknown): Promise<{ result: ApiResult; blob?: Blob }> {
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method: 'POST',
      headers: { Accept: 'application/octet-stream, application/problem+json', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
      referrerPolicy: 'same-origin',
    });
  } catch {
    return { result: { ok: false, status: 0, code: 'network', body: null, retryAfter: 0, fields: [] } };
  }
  const ok = { ok: true, status: response.status, code: '', body: null, retryAfter: 0, fields: [] };
  // Only a 200 carries the file: a 202 is ask-me-first's approval_pending (decision 027), a problem body.
  if (response.status === 200) return { result: ok, blob: await response.blob() };
  const problem = (await response.json().catch(() => null)) as { code?: unknown } | null;
  return {
    result: { ok: false, status: response.status, code: String(problem?.code ?? ''), body: problem, retryAfter: Number(response.headers.get('Retry-After') ?? 0), fields: [] },
  };
}

/** What to tell the engineer about a failed call: a sentence for its code, never the server's detail. */
export function failureMessage(result: ApiResult, t: ConsoleStrings): string {
  if (result.status === 0) return t.errors.network as string;
  const entry = t.errors[result.code];
  if (typeof entry === 'function') return entry(Math.max(1, Math.ceil(result.retryAfter / 60)));
  if (entry) return entry;
  if (result.status === 400) return t.errors.invalid as string;
  if (result.status === 401) return t.errors.session_expired as string;
  if (result.status === 403) return t.errors.forbidden as string;
  return t.errors.generic as string;
}

/** A 401 that means "sign in again" (not a step-up or a wrong password). */
export const sessionEnded = (result: ApiResult) => result.code === 'session_expired' || result.code === 'unauthorized';
