import { BadRequest } from './errors.js';

// Page cursors are opaque to clients: base64url of the sort key's parts joined by '.'. A cursor
// that does not decode to a key this API could have given out is 400 invalid_cursor.

export function encodeCursor(...parts: Array<string | number>): string {
  return Buffer.from(parts.join('.')).toString('base64url');
}

/** `read` gets the parts and returns the key, or undefined when they are not a key it gave out. */
export function decodeCursor<T>(cursor: string, read: (parts: string[]) => T | undefined): T {
  const key = read(Buffer.from(cursor, 'base64url').toString('utf8').split('.'));
  if (key === undefined) throw new BadRequest('invalid_cursor', 'cursor is not one this API gave out');
  return key;
}
