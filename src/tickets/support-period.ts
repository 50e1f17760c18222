import { z } from 'zod';

// DESIGN.md "Smaller contract changes": supportUntil is a calendar date, and the support period
// ends at the end of that day in SUPPORT_TIMEZONE. The date is what people agreed on and what
// pages show; the instant is what bounds credentials (docs/decisions/023).

/** `YYYY-MM-DD`; a full timestamp is accepted and the date it is written with kept. */
export const supportDate = z
  .string()
  .trim()
  .refine((s) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && isCalendarDate(s.slice(0, 10)), {
    message: 'must be a date (YYYY-MM-DD), e.g. 2027-01-31',
  })
  .transform((s) => s.slice(0, 10));

function isCalendarDate(date: string): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const at = new Date(Date.UTC(y, m - 1, d));
  return y >= 1970 && at.getUTCFullYear() === y && at.getUTCMonth() === m - 1 && at.getUTCDate() === d;
}

/** A real IANA zone name (Europe/Berlin, UTC), as Intl knows it; offsets such as +01:00 are not zones. */
export function canonicalTimeZone(zone: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

function wallClockIn(zone: string) {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formats.set(zone, format);
  }
  return format;
}

/** The zone's wall-clock time at `ms`, read as if it were UTC: its difference to `ms` is the zone's offset then. */
function wallClockMs(ms: number, zone: string): number {
  const parts = Object.fromEntries(wallClockIn(zone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
}

/** The calendar date (YYYY-MM-DD) it is in `zone` at `ms`. */
export function dateIn(ms: number, zone: string): string {
  return new Date(wallClockMs(ms, zone)).toISOString().slice(0, 10);
}

/**
 * The last millisecond of `date` in `zone`: one before the next day begins there. The offset is
 * read twice, so a day that ends across a daylight-saving change still ends at its midnight.
 */
export function supportPeriodEnd(date: string, zone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const nextMidnight = Date.UTC(y, m - 1, d + 1);
  let start = nextMidnight - (wallClockMs(nextMidnight, zone) - nextMidnight);
  start = nextMidnight - (wallClockMs(start, zone) - start);
  // A zone whose clocks jump from 23:59 to 01:00 has no midnight then: the next day begins where they land.
  const behind = nextMidnight - wallClockMs(start, zone);
  if (behind > 0) start += behind;
  return start - 1;
}
