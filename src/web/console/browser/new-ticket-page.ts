import type { ConsoleStrings } from '../console-strings.js';
import { callApi } from './console-api.js';
import { clearFieldErrorsOnInput, clearFields, hideAlert, looksLikeEmail, markFields, reportProblems, setBusy, showFailure } from './page-kit.js';

export function startNewTicketPage(t: ConsoleStrings): void {
  const form = document.querySelector<HTMLFormElement>('#new-ticket-form');
  const alert = document.querySelector<HTMLElement>('#new-ticket-error');
  if (!form || !alert) return;
  clearFieldErrorsOnInput(form);
  const value = (name: string) => form.querySelector<HTMLInputElement>(`[data-field="${name}"]`)!.value.trim();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    clearFields(form);
    hideAlert(alert);
    const body: Record<string, string> = {};
    const problems: Record<string, string> = {};
    for (const name of ['externalRef', 'subject', 'customerEmail', 'customerName', 'supportUntil']) {
      const v = value(name);
      if (v) body[name] = v;
      else if (name !== 'customerName') problems[name] = t.newTicket.missing[name]!;
    }
    if (body.customerEmail && !looksLikeEmail(body.customerEmail)) problems.customerEmail = t.newTicket.missing.customerEmail!;
    if (reportProblems(form, alert, problems, t)) return;
    setBusy(form, true, t.saving);
    const result = await callApi('POST', '/tickets', body);
    if (result.ok) {
      location.assign(`/console/tickets/${(result.body as { id: string }).id}`);
      return;
    }
    setBusy(form, false, t.newTicket.submit);
    showFailure(alert, result, t);
    if (result.code === 'ticket_exists') markFields(form, { externalRef: t.newTicket.exists });
    else if (result.fields.length) markFields(form, Object.fromEntries(result.fields.map((f) => [f, t.newTicket.missing[f] ?? (t.errors.invalid as string)])));
  });
}
