import { stringsFor } from '../strings.js';

/** Rewrites the server's UTC times into the reader's own time zone. */
export function showLocalTimes(root: ParentNode): void {
  const t = stringsFor(document.documentElement.lang);
  const format = new Intl.DateTimeFormat(t.locale, t.dateTime);
  for (const el of root.querySelectorAll<HTMLTimeElement>('time[data-local-time]')) {
    const when = new Date(el.dateTime);
    if (!Number.isNaN(when.getTime())) el.textContent = format.format(when);
  }
}
