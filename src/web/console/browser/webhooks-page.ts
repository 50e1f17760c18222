import type { ConsoleStrings } from '../console-strings.js';
import { callApi } from './console-api.js';
import { clearFieldErrorsOnInput, clearFields, confirmAction, copyText, hideAlert, markFields, refreshRegions, reportProblems, setBusy, showFailure } from './page-kit.js';

// Outgoing webhooks (admins): add an endpoint (its secret shown once, with a copy button), remove one.

export function startWebhooksPage(t: ConsoleStrings): void {
  const status = document.querySelector<HTMLElement>('#webhooks-status');
  const alert = document.querySelector<HTMLElement>('#console-error');
  const secretPanel = document.querySelector<HTMLElement>('#new-secret');
  const secretInput = document.querySelector<HTMLInputElement>('#new-secret-value');
  const form = document.querySelector<HTMLFormElement>('#add-webhook-form');
  const formAlert = document.querySelector<HTMLElement>('#add-webhook-error');
  if (!status || !alert || !secretPanel || !secretInput || !form || !formAlert) return;
  const copyStatus = secretPanel.querySelector<HTMLElement>('[data-copy-status]')!;
  const say = (message: string) => {
    hideAlert(alert);
    status.textContent = message;
  };
  const refresh = () => refreshRegions(['webhooks-table'], t);
  const hideSecret = () => {
    secretInput.value = '';
    copyStatus.textContent = '';
    secretPanel.hidden = true;
  };

  document.addEventListener('click', async (event) => {
    const target = event.target as Element | null;
    if (target?.closest('[data-copy-secret]')) {
      await copyText(secretInput.value, copyStatus, t);
      return;
    }
    const button = target?.closest<HTMLButtonElement>('button[data-action="remove"]');
    const tr = button?.closest<HTMLElement>('tr[data-webhook-id]');
    if (!button || !tr) return;
    if (!(await confirmAction(t.webhooks.removeHeading, t.webhooks.removeConfirm, t.webhooks.removeYes))) {
      button.focus();
      return;
    }
    const result = await callApi('DELETE', `/webhooks/${tr.dataset.webhookId}`);
    await refresh();
    if (!result.ok) return showFailure(alert, result, t);
    hideSecret();
    say(t.webhooks.removed);
    document.querySelector<HTMLElement>('#add-webhook-heading')?.setAttribute('tabindex', '-1');
    document.querySelector<HTMLElement>('#add-webhook-heading')?.focus();
  });

  clearFieldErrorsOnInput(form);
  // Ticking an event clears the events' error, as typing clears a field's.
  form.addEventListener('change', (event) => {
    if ((event.target as HTMLInputElement).name !== 'events') return;
    const error = form.querySelector<HTMLElement>('[data-error-for="events"]')!;
    error.hidden = true;
    error.textContent = '';
    form.querySelector('fieldset')?.removeAttribute('aria-invalid');
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    clearFields(form);
    hideAlert(formAlert);
    const url = form.querySelector<HTMLInputElement>('[data-field="url"]')!.value.trim();
    const events = [...form.querySelectorAll<HTMLInputElement>('input[name="events"]:checked')].map((box) => box.value);
    const problems: Record<string, string> = {};
    if (!url) problems.url = t.webhooks.missingUrl;
    if (events.length === 0) problems.events = t.webhooks.missingEvents;
    if (reportProblems(form, formAlert, problems, t)) return;
    setBusy(form, true, t.saving);
    const result = await callApi('POST', '/webhooks', { url, events });
    setBusy(form, false, t.webhooks.addSubmit);
    if (!result.ok) {
      showFailure(formAlert, result, t);
      if (result.fields.includes('url')) markFields(form, { url: t.webhooks.badUrl });
      if (result.fields.some((f) => f.startsWith('events'))) markFields(form, { events: t.webhooks.missingEvents });
      return;
    }
    const added = result.body as { secret: string };
    form.reset();
    await refresh();
    secretInput.value = added.secret;
    copyStatus.textContent = '';
    secretPanel.hidden = false;
    secretPanel.focus();
    say(t.webhooks.added);
  });
}
