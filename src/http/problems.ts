import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ServiceUnavailable, TooManyRequests, VaultError } from '../errors.js';
import type { Logger } from '../logger.js';

// The one place where errors become responses: RFC 9457 problem+json with a stable `code`.

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [extension: string]: unknown;
}

export interface ProblemInput {
  title: string;
  status: number;
  detail: string;
  code: string;
  [extension: string]: unknown;
}

/** The RFC 9457 body of a problem, its `type` named by its `code`. */
export const problemJson = (problem: ProblemInput): string => JSON.stringify({ type: `urn:ticketvault:problem:${problem.code}`, ...problem });

export function sendProblem(res: Response, problem: ProblemInput): void {
  res.status(problem.status).type('application/problem+json').set('Cache-Control', 'no-store').send(problemJson(problem));
}

// body-parser's errors carry a `type`; these are the client's fault and say so.
const BODY_ERRORS: Record<string, { status: number; code: string; title: string; detail: string }> = {
  'entity.parse.failed': { status: 400, code: 'malformed_json', title: 'Bad request', detail: 'The body is not valid JSON.' },
  'entity.too.large': { status: 413, code: 'payload_too_large', title: 'Payload too large', detail: 'The body is larger than 1 MiB.' },
  'encoding.unsupported': { status: 415, code: 'unsupported_media_type', title: 'Unsupported media type', detail: 'Unsupported content encoding.' },
  'charset.unsupported': { status: 415, code: 'unsupported_media_type', title: 'Unsupported media type', detail: 'Send JSON as UTF-8.' },
  'request.aborted': { status: 400, code: 'request_aborted', title: 'Bad request', detail: 'The request body was cut short.' },
  'request.size.invalid': { status: 400, code: 'request_aborted', title: 'Bad request', detail: 'The body does not match its Content-Length.' },
  // A form post (the portal's pages) with more fields than its parser takes.
  'parameters.too.many': { status: 413, code: 'too_many_parameters', title: 'Payload too large', detail: 'The form has more fields than this page takes.' },
};

/**
 * What the client did wrong, as a problem; undefined when the fault is ours (a 500). The API's
 * handler and both page handlers ask this one function, so a refusal reads the same everywhere.
 */
export function clientProblemOf(err: unknown): ProblemInput | undefined {
  const known = typedErrorOf(err);
  if (known) return { title: known.title, status: known.status, detail: known.message, code: known.code, ...known.extra };
  const status = (err as { status?: unknown } | null)?.status;
  // The router cannot percent-decode a path segment: it names nothing here (often a mangled link
  // token), so it is a plain 404, and the URIError (which quotes the segment) is not logged.
  if (err instanceof URIError && status === 400) return { title: 'Not found', status: 404, detail: 'Nothing here.', code: 'not_found' };
  const type = (err as { type?: unknown } | null)?.type;
  const bodyError = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
  if (bodyError) return bodyError;
  // body-parser's other refusals (a Content-Encoding that does not inflate) carry no `type`.
  if (status === 400 && (err as { expose?: unknown }).expose === true) return UNREADABLE_BODY;
  return undefined;
}

/** The typed error behind `err` (the storage port hands a driver's fault on as StorageUnavailable, a 503). */
function typedErrorOf(err: unknown): VaultError | undefined {
  return err instanceof VaultError ? err : undefined;
}

/** Seconds for the Retry-After header of an answer that means "later" (429, 503), for the API and the pages alike. */
export function setRetryAfter(res: Response, err: unknown): void {
  const known = typedErrorOf(err);
  const seconds = known instanceof TooManyRequests || known instanceof ServiceUnavailable ? known.retryAfterSeconds : undefined;
  if (seconds !== undefined) res.set('Retry-After', String(seconds));
}

const UNREADABLE_BODY = {
  status: 400,
  code: 'malformed_body',
  title: 'Bad request',
  detail: 'The body could not be read: its Content-Encoding does not decode. Send it uncompressed, or as valid gzip, deflate or br.',
};

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const problem = clientProblemOf(err);
    if (problem) {
      setRetryAfter(res, err);
      // The operator needs to hear about a storage fault; the client's body never names it.
      if (problem.status === 503) log.warn({ code: problem.code, cause: causeCodeOf(err), method: req.method, route: routeOf(req) }, 'answered 503');
      if (problem.status === 401) res.set('WWW-Authenticate', 'Bearer realm="ticketvault"');
      sendProblem(res, problem);
      return;
    }
    // Never echo internals: the log gets the error (without request bodies), the client an id-free 500.
    log.error({ err, method: req.method, route: routeOf(req) }, 'unhandled error');
    sendProblem(res, { title: 'Internal server error', status: 500, detail: 'Something went wrong on our side.', code: 'internal_error' });
  };
}

/** The driver's result code behind a storage fault (SQLITE_FULL…), for the log. */
function causeCodeOf(err: unknown): string | undefined {
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const unknownEndpoint: RequestHandler = (_req, res) => {
  sendProblem(res, { title: 'Not found', status: 404, detail: 'There is no such endpoint.', code: 'not_found' });
};

/** The route template ("/api/v1/intake/:token"), never the URL, which may hold a token. */
export function routeOf(req: { originalUrl?: string; route?: { path?: unknown } }): string {
  // req.baseUrl is reset once a router is left, so the mount point is read off the URL's prefix.
  const mount = req.originalUrl?.startsWith('/api/v1/') ? '/api/v1' : '';
  const path = req.route?.path;
  return typeof path === 'string' ? `${mount}${path}` : `${mount}(unmatched)`;
}
