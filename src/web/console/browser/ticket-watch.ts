import { ticketChangeMark, type MarkedTicket } from '../ticket-change-mark.js';
import { callApi } from './console-api.js';

// The ticket page follows what others change (the customer sends a credential above all): it
// polls GET /tickets/:id while the tab is visible, and when the mark differs from the page's it
// fetches the page's regions again. Polling a read every instance can answer works behind a load
// balancer with no shared channel between instances (docs/decisions/023).

const POLL_MS = 5000;

/** What GET /tickets/:id answers, as far as the page reads it. */
interface PolledTicket extends MarkedTicket {
  credentials: ReadonlyArray<{ id: string; status: string; label: string; revealCount?: number; approval?: { state: string } }>;
}

/** A credential whose "ask me first" request the customer decided since the page showed it pending. */
export interface DecidedApproval {
  label: string;
  state: string;
}

/** `onChange` gets the credentials the page did not show yet; it refreshes the regions. */
export function watchTicket(head: HTMLElement, onChange: (sent: PolledTicket['credentials'], decided: DecidedApproval[]) => Promise<void>): void {
  const ticketId = head.dataset.ticketId!;
  let mark = head.dataset.changeMark ?? '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let stopped = false;

  const poll = async () => {
    clearTimeout(timer);
    // A hidden tab asks nothing; becoming visible polls at once.
    if (running || stopped || document.hidden) return;
    running = true;
    try {
      const result = await callApi('GET', `/tickets/${ticketId}`);
      // Signed out, no longer allowed, or the ticket is gone: the page stops asking.
      if (result.status === 401 || result.status === 403 || result.status === 404) stopped = true;
      if (!result.ok) return;
      const detail = result.body as PolledTicket;
      const next = ticketChangeMark(detail);
      if (next === mark) return;
      mark = next;
      const rows = [...document.querySelectorAll<HTMLElement>('tr[data-credential-id]')];
      const shown = new Set(rows.map((tr) => tr.dataset.credentialId));
      const pending = new Set(rows.filter((tr) => tr.querySelector('[data-approval="pending"]')).map((tr) => tr.dataset.credentialId));
      const decided = detail.credentials
        .filter((c) => pending.has(c.id) && (c.approval?.state === 'approved' || c.approval?.state === 'refused'))
        .map((c) => ({ label: c.label, state: c.approval!.state }));
      await onChange(
        detail.credentials.filter((c) => !shown.has(c.id)),
        decided,
      );
    } finally {
      running = false;
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    }
  };

  document.addEventListener('visibilitychange', () => void poll());
  timer = setTimeout(() => void poll(), POLL_MS);
}
