import type { ConsoleStrings } from '../console-strings.js';
import { callApi } from './console-api.js';
import { flash, showFlash } from './flash.js';
import { confirmAction, copyText, hideAlert, refreshRegions, setBusy, showAlert, showFailure, showLocalTimes } from './page-kit.js';
import { wireRevealDialog } from './reveal-dialog.js';

// The ticket page: reveal (see reveal-dialog.ts), revoke a credential, create a secure link (its
// URL is shown once, never stored in the page's HTML), revoke a link, close the ticket.

export function startTicketPage(t: ConsoleStrings): void {
  const head = document.querySelector<HTMLElement>('[data-ticket-id]');
  const status = document.querySelector<HTMLElement>('#ticket-status');
  const alert = document.querySelector<HTMLElement>('#console-error');
  if (!head || !status || !alert) return;
  const ticketId = head.dataset.ticketId!;
  const ref = head.dataset.ticketRef ?? '';
  showFlash(status);

  const say = (message: string) => {
    hideAlert(alert);
    status.textContent = message;
  };
  const refresh = (...regions: string[]) => refreshRegions(regions, t);

  const reveal = wireRevealDialog(t, () => void refresh('credentials'));

  const row = (el: Element) => el.closest<HTMLElement>('tr');

  document.addEventListener('click', async (event) => {
    const button = (event.target as Element | null)?.closest<HTMLButtonElement>('button[data-action], button[data-copy-from]');
    if (!button) return;
    if (button.dataset.copyFrom) {
      const input = document.getElementById(button.dataset.copyFrom) as HTMLInputElement | null;
      if (input?.value) await copyText(input.value, button.closest('.new-link')?.querySelector('[data-copy-status]') ?? null, t);
      return;
    }
    const tr = row(button);
    switch (button.dataset.action) {
      case 'reveal':
        if (tr) reveal?.open({ id: tr.dataset.credentialId!, label: tr.dataset.label ?? '' });
        break;
      case 'revoke': {
        if (!tr) return;
        const label = tr.dataset.label ?? '';
        if (!(await confirmAction(t.ticket.revokeLabel(label), t.ticket.revokeConfirm(label), t.ticket.revokeYes))) {
          button.focus();
          return;
        }
        const result = await callApi('DELETE', `/credentials/${tr.dataset.credentialId}`);
        if (!result.ok) showFailure(alert, result, t);
        else say(t.ticket.revoked(label));
        await refresh('credentials');
        break;
      }
      case 'revoke-link': {
        if (!tr) return;
        button.disabled = true;
        const result = await callApi('DELETE', `/intake-links/${tr.dataset.linkId}`);
        if (!result.ok) showFailure(alert, result, t);
        else say(t.ticket.linkRevoked);
        await refresh('links');
        document.querySelector<HTMLElement>('#links-heading')?.setAttribute('tabindex', '-1');
        document.querySelector<HTMLElement>('#links-heading')?.focus();
        break;
      }
      case 'close-ticket': {
        const live = Number(head.dataset.liveCount ?? 0);
        if (!(await confirmAction(t.ticket.closeHeading(ref), t.ticket.closeText(live), t.ticket.closeYes))) {
          button.focus();
          return;
        }
        const result = await callApi('POST', `/tickets/${ticketId}/close`);
        if (!result.ok) {
          showFailure(alert, result, t);
          return;
        }
        flash(t.ticket.closedDone);
        location.reload();
        break;
      }
    }
  });

  const linkForm = document.querySelector<HTMLFormElement>('#new-link-form');
  const panel = document.querySelector<HTMLElement>('#new-link');
  linkForm?.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!panel || linkForm.getAttribute('aria-busy') === 'true') return;
    hideAlert(alert);
    const ttlSeconds = Number(linkForm.querySelector<HTMLSelectElement>('[data-field="ttlSeconds"]')!.value);
    const maxUsesInput = linkForm.querySelector<HTMLInputElement>('[data-field="maxUses"]')!;
    const maxUses = maxUsesInput.value.trim();
    maxUsesInput.removeAttribute('aria-invalid');
    if (maxUses && !(/^\d{1,4}$/.test(maxUses) && Number(maxUses) >= 1 && Number(maxUses) <= 1000)) {
      maxUsesInput.setAttribute('aria-invalid', 'true');
      showAlert(alert, t.errors.invalid as string);
      maxUsesInput.focus();
      return;
    }
    setBusy(linkForm, true, t.saving);
    const result = await callApi('POST', `/tickets/${ticketId}/intake-links`, { ttlSeconds, ...(maxUses ? { maxUses: Number(maxUses) } : {}) });
    setBusy(linkForm, false, t.ticket.createLink);
    if (!result.ok) {
      showFailure(alert, result, t);
      return;
    }
    const created = result.body as { url: string; expiresAt: string };
    panel.querySelector<HTMLInputElement>('#new-link-url')!.value = created.url;
    const until = panel.querySelector<HTMLTimeElement>('#new-link-until')!;
    until.dateTime = created.expiresAt;
    until.dataset.localTime = '';
    showLocalTimes(panel, t);
    panel.querySelector<HTMLElement>('[data-copy-status]')!.textContent = '';
    maxUsesInput.value = '';
    panel.hidden = false;
    await refresh('links');
    panel.focus();
  });

  // Back from a single sign-on step-up: carry on with the reveal that asked for it.
  const wanted = /^#reveal-([0-9a-f-]{36})$/.exec(location.hash)?.[1];
  if (wanted) {
    history.replaceState(null, '', location.pathname + location.search);
    const tr = document.querySelector<HTMLElement>(`tr[data-credential-id="${wanted}"]`);
    if (tr?.querySelector('[data-action="reveal"]')) reveal?.open({ id: wanted, label: tr.dataset.label ?? '' });
  }
}
