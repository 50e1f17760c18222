import type { Request } from 'express';

/** A path parameter as a plain string (Express types allow arrays for wildcard routes). */
export function param(req: Request, name: string): string {
  const value = (req.params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}
