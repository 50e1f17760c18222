// How the customer pages and e-mails show a date and time: the language's locale, the zone named.
// The server writes UTC; the page script rewrites it into the reader's own zone.

const DATE_TIME: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };

const formats = new Map<string, Intl.DateTimeFormat>();

/** `when` in `locale`, in `timeZone` (the reader's own when undefined), e.g. "3 December 2026 at 22:48 UTC". */
export function formatDateTime(locale: string, when: Date | number | string, timeZone: string | undefined): string {
  const key = `${locale} ${timeZone ?? ''}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { ...DATE_TIME, timeZone });
    formats.set(key, format);
  }
  return format.format(new Date(when));
}
