import { consoleStringsFor, type ConsoleStrings } from '../console-strings.js';
import { failureMessage, sessionEnded, type ApiResult } from './console-api.js';

// Small pieces every console page uses: alerts, busy buttons, field errors, copying, times, and
// swapping in freshly rendered regions after a change (one rendering of each table: the server's).

export const strings = (): ConsoleStrings => consoleStringsFor(document.documentElement.lang);

export function showAlert(alert: HTMLElement, message: string, focus = true): void {
  alert.replaceChildren(message);
  alert.hidden = false;
  if (focus) alert.focus();
}

/** The alert for a failed call; a lost session also offers the way back to sign-in. */
export function showFailure(alert: HTMLElement, result: ApiResult, t: ConsoleStrings): void {
  showAlert(alert, failureMessage(result, t));
  if (sessionEnded(result)) {
    const link = document.createElement('a');
    link.href = `/console/sign-in?reason=expired&next=${encodeURIComponent(location.pathname + location.search)}`;
    link.textContent = t.signIn.submit;
    link.className = 'alert__action';
    alert.append(' ', link);
  }
}

export function hideAlert(alert: HTMLElement): void {
  alert.hidden = true;
  alert.replaceChildren();
}

/** The page's own first check of an e-mail address; the server decides. */
export const looksLikeEmail = (value: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);

export function setBusy(form: HTMLElement, busy: boolean, label?: string): void {
  const button = form.querySelector<HTMLButtonElement>('[data-submit]');
  const text = form.querySelector('[data-submit-text]');
  form.setAttribute('aria-busy', String(busy));
  if (button) button.disabled = busy;
  if (text && label) text.textContent = label;
}

/** Marks the named fields of a form invalid with a message; focuses the first. */
export function markFields(form: HTMLElement, messages: Record<string, string>): void {
  let first: HTMLElement | null = null;
  for (const [name, message] of Object.entries(messages)) {
    const input = form.querySelector<HTMLElement>(`[data-field="${name}"]`);
    const error = form.querySelector<HTMLElement>(`[data-error-for="${name}"]`);
    if (!input) continue;
    input.setAttribute('aria-invalid', 'true');
    if (error) {
      error.textContent = message;
      error.hidden = false;
    }
    first ??= input;
  }
  first?.focus();
}

/** A field marked invalid loses its mark and message as soon as it is edited. */
export function clearFieldErrorsOnInput(form: HTMLElement): void {
  form.addEventListener('input', (event) => {
    const input = (event.target as Element | null)?.closest<HTMLElement>('[data-field][aria-invalid]');
    if (!input) return;
    input.removeAttribute('aria-invalid');
    const error = form.querySelector<HTMLElement>(`[data-error-for="${input.dataset.field}"]`);
    if (error) {
      error.textContent = '';
      error.hidden = true;
    }
  });
}

/** Marks what the page's own checks found; false when the form may be sent. */
export function reportProblems(form: HTMLElement, alert: HTMLElement, problems: Record<string, string>, t: ConsoleStrings): boolean {
  if (Object.keys(problems).length === 0) return false;
  showAlert(alert, t.errors.invalid as string, false);
  markFields(form, problems);
  return true;
}

export function clearFields(form: HTMLElement): void {
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  for (const error of form.querySelectorAll<HTMLElement>('[data-error-for]')) {
    error.textContent = '';
    error.hidden = true;
  }
}

/** Copies text; says so in `status` (a live region). */
export async function copyText(value: string, status: HTMLElement | null, t: ConsoleStrings): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(value);
    if (status) status.textContent = t.copied;
    return true;
  } catch {
    if (status) status.textContent = t.copyFailed;
    return false;
  }
}

/** Server-rendered UTC times, rewritten in the reader's own zone. */
export function showLocalTimes(root: ParentNode, t: ConsoleStrings): void {
  const format = new Intl.DateTimeFormat(t.locale, t.shortDateTime);
  for (const el of root.querySelectorAll<HTMLTimeElement>('time[data-local-time]')) {
    const when = new Date(el.dateTime);
    if (!Number.isNaN(when.getTime())) el.textContent = format.format(when);
  }
}

/** Fetches this page again and swaps in the regions with these ids. False if it could not. */
export async function refreshRegions(ids: string[], t: ConsoleStrings): Promise<boolean> {
  let fresh: Document;
  try {
    const response = await fetch(location.pathname + location.search, { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!response.ok || response.redirected) return false;
    fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
  } catch {
    return false;
  }
  for (const id of ids) {
    const next = fresh.getElementById(id);
    const current = document.getElementById(id);
    if (!next || !current) continue;
    const adopted = document.importNode(next, true);
    current.replaceWith(adopted);
    showLocalTimes(adopted, t);
  }
  return true;
}

/** Opens the shared confirm dialog; resolves true when the danger button is pressed. */
export function confirmAction(heading: string, text: string, yes: string): Promise<boolean> {
  const dialog = document.querySelector<HTMLDialogElement>('#confirm-dialog');
  if (!dialog) return Promise.resolve(false);
  dialog.querySelector('#confirm-heading')!.textContent = heading;
  dialog.querySelector('#confirm-text')!.textContent = text;
  const button = dialog.querySelector<HTMLButtonElement>('[data-confirm-yes]')!;
  button.textContent = yes;
  return new Promise((resolve) => {
    let answer = false;
    const onYes = () => {
      answer = true;
      dialog.close();
    };
    button.addEventListener('click', onYes, { once: true });
    dialog.addEventListener(
      'close',
      () => {
        button.removeEventListener('click', onYes);
        resolve(answer);
      },
      { once: true },
    );
    dialog.showModal();
    // The safe choice has focus: Enter does not destroy anything by accident.
    dialog.querySelector<HTMLButtonElement>('[data-dialog-close]')?.focus();
  });
}

/** Buttons marked data-dialog-close close their dialog, wherever it is. */
export function wireDialogClosers(): void {
  document.addEventListener('click', (event) => {
    const closer = (event.target as Element | null)?.closest('[data-dialog-close]');
    closer?.closest('dialog')?.close();
  });
}
