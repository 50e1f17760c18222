import { formatDateTime } from '../../languages/date-times.js';
import { pageMessages } from './page-messages.js';

/** Rewrites the server's UTC times into the reader's own time zone, in the page's language. */
export function showLocalTimes(root: ParentNode): void {
  const { locale } = pageMessages();
  for (const el of root.querySelectorAll<HTMLTimeElement>('time[data-local-time]')) {
    const when = new Date(el.dateTime);
    if (!Number.isNaN(when.getTime())) el.textContent = formatDateTime(locale, when, undefined);
  }
}
