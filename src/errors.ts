// Typed domain errors. Each carries a stable machine `code` and an HTTP status;
// src/http/problems.ts is the one place that turns them into responses.

export interface FieldIssue {
  path: string;
  message: string;
}

export class VaultError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    public readonly title: string,
    detail?: string,
    public readonly extra?: Record<string, unknown>,
  ) {
    super(detail ?? title);
    this.name = new.target.name;
  }
}

export class BadRequest extends VaultError {
  constructor(code: string, detail: string, issues?: FieldIssue[]) {
    super(400, code, 'Bad request', detail, issues ? { errors: issues } : undefined);
  }
}

export class ValidationFailed extends BadRequest {
  constructor(detail: string, issues: FieldIssue[] = []) {
    super('validation_failed', detail, issues);
  }
}

export class Unauthorized extends VaultError {
  constructor(code = 'unauthorized', detail = 'A valid bearer token or session is required.') {
    super(401, code, 'Unauthorized', detail);
  }
}

export class Forbidden extends VaultError {
  constructor(code = 'forbidden', detail = 'Your role does not allow this.') {
    super(403, code, 'Forbidden', detail);
  }
}

export class NotFound extends VaultError {
  constructor(code = 'not_found', detail = 'Nothing here.') {
    super(404, code, 'Not found', detail);
  }
}

export class Conflict extends VaultError {
  constructor(code: string, detail: string) {
    super(409, code, 'Conflict', detail);
  }
}

/** 410: the thing existed but has ended; `code` says why. */
export class Gone extends VaultError {
  constructor(code: string, detail: string) {
    super(410, code, 'Gone', detail);
  }
}

export class Locked extends VaultError {
  constructor(code: string, detail: string) {
    super(423, code, 'Locked', detail);
  }
}

export class TooManyRequests extends VaultError {
  constructor(public readonly retryAfterSeconds: number, detail = 'Too many attempts; try again later.') {
    super(429, 'rate_limited', 'Too many requests', detail);
  }
}

/** 503: try again later; `retryAfterSeconds` becomes the Retry-After header. */
export class ServiceUnavailable extends VaultError {
  constructor(code: string, detail: string, public readonly retryAfterSeconds?: number) {
    super(503, code, 'Service unavailable', detail);
  }
}

/** Why the storage refused: the operator's log and metrics name it, the client's answer never does. */
export type StorageFaultKind = 'full' | 'read_only' | 'io_error' | 'cannot_open' | 'locked';

/**
 * The database cannot take the work now (disk full, read-only, I/O error, cannot open, or locked
 * past the busy timeout). The transaction was rolled back: nothing was changed.
 */
export class StorageUnavailable extends ServiceUnavailable {
  constructor(public readonly fault: StorageFaultKind, options?: { cause?: unknown }) {
    super('storage_unavailable', 'The vault cannot store anything right now, so nothing was changed. Try again shortly.', fault === 'locked' ? 5 : 30);
    if (options && 'cause' in options) this.cause = options.cause;
  }
}
