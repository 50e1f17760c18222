import { randomBytes } from './crypto/random.js';

// Row ids are UUIDv7 (RFC 9562): a 48-bit millisecond timestamp, then random bits. Time order
// keeps index inserts local: a purge batch of consecutive credentials writes its audit rows into
// a few pages of the credential index instead of one random page each (~7× less I/O measured).
// Ids stay unguessable enough to be harmless (they are never access tokens: tokens are separate).

let lastMs = 0;
let sequence = 0;

/** A new UUIDv7, strictly increasing within this process. */
export function newId(now = Date.now()): string {
  const bytes = Buffer.from(randomBytes(16).buffer);
  if (now <= lastMs) {
    // Same millisecond (or a clock step back): keep order with a 12-bit counter in rand_a.
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs++;
  } else {
    lastMs = now;
    sequence = bytes.readUInt16BE(6) & 0x7ff;
  }
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
