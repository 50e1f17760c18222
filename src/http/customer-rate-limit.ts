import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import type { Clock } from '../clock.js';
import { TooManyRequests } from '../errors.js';

// DESIGN.md "Security rules": the customer endpoints are limited per client address, in memory
// (a restart forgiving a minute's count costs nothing; docs/decisions/014 weighs the alternatives).

const WINDOW_MS = 60_000;
/** Addresses counted at once (a few MB at most); past it the oldest window is dropped. */
export const MAX_TRACKED_ADDRESSES = 50_000;

interface Window {
  startedAt: number;
  count: number;
}

/**
 * The key an address is counted under. An IPv6 client usually holds a whole /64 (and picks a new
 * address in it at will), so it is counted by that /64; an IPv4-mapped address as its IPv4 form.
 */
export function rateLimitKeyOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const address = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros. */
function expandIpv6(address: string): string[] {
  const groupsOf = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [group];
          const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
          return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
        });
  const [head = '', tail] = address.split('::');
  const front = groupsOf(head);
  const back = tail === undefined ? [] : groupsOf(tail);
  const zeros = Array<string>(8 - front.length - back.length).fill('0');
  return [...front, ...zeros, ...back].map((group) => parseInt(group, 16).toString(16));
}

/**
 * A one-minute window per key, started by its first request. Keys live in two generations: a new
 * generation starts each minute (the one before it then holds only ended windows, and is dropped)
 * or when the current one holds half the cap (dropping the oldest windows: under an address-rotation
 * attack memory stays bounded, and no address gets more than its budget within a window it keeps).
 */
export function createRateLimitWindows(options: { perMinute: number; maxTracked?: number }) {
  const generationSize = Math.ceil((options.maxTracked ?? MAX_TRACKED_ADDRESSES) / 2);
  let current = new Map<string, Window>();
  let older = new Map<string, Window>();
  let generationStartedAt = -Infinity;

  /** Counts one request; the seconds to wait when it is over the budget, else null. */
  function take(key: string, now: number): number | null {
    let window = current.get(key) ?? older.get(key);
    if (!window || now - window.startedAt >= WINDOW_MS) window = { startedAt: now, count: 0 };
    if (current.get(key) !== window) {
      older.delete(key);
      if (current.size >= generationSize || now - generationStartedAt >= WINDOW_MS) {
        older = current;
        current = new Map();
        generationStartedAt = now;
      }
      current.set(key, window);
    }
    window.count++;
    if (window.count <= options.perMinute) return null;
    return Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
  }

  return { take, tracked: () => current.size + older.size };
}

/**
 * Windows every instance shares (PostgreSQL): counts one request for `key`, answering the seconds
 * to wait when it is over `perMinute`, else null.
 */
export type SharedRateLimits = (key: string, now: number, perMinute: number) => Promise<number | null>;

/**
 * The limiter for `/s`, `/r`, `/api/v1/intake`, `/api/v1/receipts` and `/portal`: one budget per
 * client address (req.ip, which honours TRUST_PROXY) across all of them. Over it, 429
 * `rate_limited` with Retry-After, passed on as an error so the API answers problem+json and the
 * pages their own page.
 */
export function customerRateLimit(options: { perMinute: number; clock: Clock; shared?: SharedRateLimits }): RequestHandler {
  if (options.perMinute === 0) return (_req, _res, next) => next();
  const windows = createRateLimitWindows({ perMinute: options.perMinute });
  const take = options.shared ?? ((key: string, now: number) => windows.take(key, now));
  return async (req, res, next) => {
    let retryAfter: number | null;
    try {
      retryAfter = await take(rateLimitKeyOf(req.ip), options.clock.now(), options.perMinute);
    } catch (error) {
      next(error); // the shared windows' storage is down: a 503, as the request itself would meet
      return;
    }
    if (retryAfter === null) {
      next();
      return;
    }
    // Set here as well as by the error mapping, so the pages' 429 carries it too.
    res.set('Retry-After', String(retryAfter));
    next(new TooManyRequests(retryAfter, 'Too many requests from your address; wait a minute and try again.'));
  };
}
