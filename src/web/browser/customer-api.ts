import type { Messages } from '../../languages/messages.js';

// The customer's JSON API (/api/v1/intake, /api/v1/receipts), called with the token the page
// reads from its own address; the token is never written into the page.

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The token of /s/<token> or /r/<token>, or null when the address holds none. */
export function tokenFromPath(): string | null {
  const token = decodeURIComponent(location.pathname.split('/')[2] ?? '');
  return TOKEN.test(token) ? token : null;
}

export interface ApiResult {
  ok: boolean;
  status: number;
  code: string;
  body: unknown;
  response?: Response;
}

/**
 * The page's language travels as Accept-Language (the call sends no cookie): the server records it
 * with a submission, so the customer's e-mails later go in the language they used.
 */
export const pageLanguageHeader = () => ({ 'Accept-Language': document.documentElement.lang || 'en' });

export async function callApi(method: string, path: string, body?: unknown): Promise<ApiResult> {
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers: { Accept: 'application/json', ...pageLanguageHeader(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    return { ok: false, status: 0, code: 'network', body: null };
  }
  if (response.status === 204) return { ok: true, status: 204, code: '', body: null, response };
  const isJson = /json/.test(response.headers.get('Content-Type') ?? '');
  const parsed: unknown = isJson ? await response.json().catch(() => null) : null;
  const code = !response.ok && parsed && typeof parsed === 'object' && 'code' in parsed ? String(parsed.code) : '';
  return { ok: response.ok, status: response.status, code, body: parsed, response };
}

/** What to tell the customer when a call failed; never the server's English detail. */
export function failureMessage(result: ApiResult, m: Messages, page: 'intake' | 'receipt'): string {
  if (result.status === 0) return m.t('errors.network');
  if (result.code === 'sealed_invalid') return m.t('errors.sealedInvalid');
  if (result.status === 429) return m.t('errors.tooMany');
  if (page === 'intake' && (result.status === 404 || result.status === 410)) return m.t('errors.linkGone');
  if (result.status === 410) return m.t('errors.ended');
  if (result.status === 404) return m.t('errors.notFound');
  if (result.status === 400) return m.t('errors.invalid');
  return m.t('errors.generic');
}

/**
 * Uploads an encrypted file (XMLHttpRequest: fetch reports no upload progress). Same rules as
 * callApi: no cookie, the page's language, a JSON answer or problem.
 */
export function uploadEncrypted(path: string, body: Blob, onProgress: (fraction: number) => void): Promise<ApiResult> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    xhr.withCredentials = false;
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(pageLanguageHeader())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        parsed = null;
      }
      const ok = xhr.status >= 200 && xhr.status < 300;
      const code = !ok && parsed && typeof parsed === 'object' && 'code' in parsed ? String(parsed.code) : '';
      resolve({ ok, status: xhr.status, code, body: parsed });
    });
    xhr.addEventListener('error', () => resolve({ ok: false, status: 0, code: 'network', body: null }));
    xhr.send(body);
  });
}
