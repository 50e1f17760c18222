import type { ConsoleStrings } from '../console-strings.js';
import { callApi } from './console-api.js';
import { flash, showFlash } from './flash.js';
import { clearFieldErrorsOnInput, clearFields, confirmAction, copyText, hideAlert, looksLikeEmail, markFields, refreshRegions, reportProblems, setBusy, showAlert, showFailure, showLocalTimes } from './page-kit.js';
import { wireRevealDialog } from './reveal-dialog.js';
import { watchTicket } from './ticket-watch.js';

// The ticket page: reveal (see reveal-dialog.ts), revoke a credential, create a secure link (its
// URL is shown once, never stored in the page's HTML), revoke a link, edit, close and reopen the
// ticket; it follows what the customer sends (ticket-watch.ts).

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
  const editDialog = wireEditTicket(t, ticketId, status);
  watchTicket(head, async (sent, decided) => {
    await refresh('credentials', 'links');
    if (sent.length) say(t.ticket.customerSent(sent.map((c) => c.label)));
    if (decided.length) say(decided.map((d) => t.ticket.approvalDecided(d.label, d.state)).join(' '));
  });

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
      case 'edit-ticket':
        editDialog?.showModal();
        break;
      case 'reopen-ticket': {
        button.disabled = true;
        const result = await callApi('POST', `/tickets/${ticketId}/reopen`);
        if (!result.ok) {
          button.disabled = false;
          showFailure(alert, result, t);
          return;
        }
        flash(t.ticket.reopened);
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

/** The edit dialog: sends only what was changed (PATCH /tickets/:id); the page reloads to show it. */
function wireEditTicket(t: ConsoleStrings, ticketId: string, status: HTMLElement): HTMLDialogElement | null {
  const dialog = document.querySelector<HTMLDialogElement>('#edit-ticket-dialog');
  const form = dialog?.querySelector<HTMLFormElement>('#edit-ticket-form');
  const alert = dialog?.querySelector<HTMLElement>('#edit-ticket-error');
  if (!dialog || !form || !alert) return null;
  clearFieldErrorsOnInput(form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    clearFields(form);
    hideAlert(alert);
    const body: Record<string, string | null> = {};
    const problems: Record<string, string> = {};
    for (const input of form.querySelectorAll<HTMLInputElement>('input[data-field]')) {
      const name = input.dataset.field!;
      const value = input.value.trim();
      if (value === (input.dataset.was ?? '')) continue;
      if (name === 'customerName') body[name] = value || null;
      else if (!value) problems[name] = t.newTicket.missing[name]!;
      else body[name] = value;
    }
    if (typeof body.customerEmail === 'string' && !looksLikeEmail(body.customerEmail)) problems.customerEmail = t.newTicket.missing.customerEmail!;
    if (reportProblems(form, alert, problems, t)) return;
    if (Object.keys(body).length === 0) {
      dialog.close();
      status.textContent = t.ticket.nothingChanged;
      return;
    }
    setBusy(form, true, t.saving);
    const result = await callApi('PATCH', `/tickets/${ticketId}`, body);
    if (result.ok) {
      flash(t.ticket.changed);
      location.reload();
      return;
    }
    setBusy(form, false, t.ticket.save);
    showFailure(alert, result, t);
    if (result.fields.length) markFields(form, Object.fromEntries(result.fields.map((f) => [f, t.newTicket.missing[f] ?? (t.errors.invalid as string)])));
  });
  return dialog;
}
