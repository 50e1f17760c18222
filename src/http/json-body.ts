import express, { type RequestHandler } from 'express';
import { VaultError } from '../errors.js';
import { rejectPrototypeKeys } from '../validation.js';

export const JSON_LIMIT = '1mb';

const hasBody = (headers: Record<string, string | string[] | undefined>) =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

/** 415 for a body of any type but JSON; a request without a body passes. */
export const requireJsonType: RequestHandler = (req, _res, next) => {
  if (hasBody(req.headers) && !req.is('application/json')) {
    throw new VaultError(415, 'unsupported_media_type', 'Unsupported media type', 'Send the body as application/json.');
  }
  next();
};

/** JSON bodies only: 415 for any other content type, 413 over 1 MiB, 400 for bad JSON or prototype keys. */
export function jsonBody(): RequestHandler[] {
  return [
    requireJsonType,
    express.json({ limit: JSON_LIMIT, strict: true, type: 'application/json' }),
    (req, _res, next) => {
      rejectPrototypeKeys(req.body);
      next();
    },
  ];
}
