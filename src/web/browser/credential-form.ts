import type { Messages } from '../../languages/messages.js';
import { pageMessages } from './page-messages.js';
import { sealFields } from './sealing.js';

// The fields of one credential kind as typed into a form: read, checked as the server checks them
// (src/credentials/credential-kinds.ts), and cleared again. Inputs carry data-field, not name.

type FieldInput = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

export interface FieldProblem {
  input: FieldInput;
  message: string;
}

const encoder = new TextEncoder();
const isPort = (s: string) => /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535;

function fieldInputs(container: ParentNode): FieldInput[] {
  return [...container.querySelectorAll<FieldInput>('[data-field]')];
}

/** The non-empty fields (an empty optional field is absent, as on the server) and what is wrong. */
export function readFields(container: ParentNode, m: Messages): { fields: Record<string, string>; problems: FieldProblem[] } {
  const fields: Record<string, string> = {};
  const problems: FieldProblem[] = [];
  for (const input of fieldInputs(container)) {
    const name = input.dataset.field!;
    const value = input.value;
    const maxBytes = Number(input.dataset.maxBytes ?? Infinity);
    if (input.required && value.trim() === '') problems.push({ input, message: m.maybe(`fields.${name}.missing`) ?? m.t('validation.required') });
    else if (encoder.encode(value).length > maxBytes) problems.push({ input, message: m.t('validation.tooLong') });
    else if (input.dataset.port !== undefined && value.trim() !== '' && !isPort(value.trim())) problems.push({ input, message: m.t('validation.port') });
    else if (value !== '') fields[name] = value;
  }
  return { fields, problems };
}

/** Marks each problem on its field, says so in the form's alert, and focuses the first one. */
export function showProblems(problems: FieldProblem[], alert: HTMLElement, m: Messages): void {
  for (const { input, message } of problems) {
    input.setAttribute('aria-invalid', 'true');
    const error = document.getElementById(`${input.id}-error`);
    if (error) {
      error.textContent = message;
      error.hidden = false;
    }
  }
  showAlert(alert, m.t('validation.heading'), false);
  problems[0]?.input.focus();
}

export function clearProblems(container: ParentNode, alert: HTMLElement): void {
  for (const input of container.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  for (const error of container.querySelectorAll<HTMLElement>('[data-error-for]')) {
    error.textContent = '';
    error.hidden = true;
  }
  alert.hidden = true;
  alert.textContent = '';
}

export function showAlert(alert: HTMLElement, message: string, focus = true): void {
  alert.textContent = message;
  alert.hidden = false;
  if (focus) alert.focus();
}

/** Empties every field (a select goes back to its default) and masks secrets again. */
export function resetFields(container: ParentNode): void {
  for (const input of fieldInputs(container)) {
    if (input instanceof HTMLSelectElement) {
      for (const option of input.options) option.selected = option.defaultSelected;
    } else {
      input.value = '';
    }
  }
  for (const toggle of container.querySelectorAll<HTMLButtonElement>('[data-toggle-secret]')) setSecretVisible(toggle, false);
}

function setSecretVisible(toggle: HTMLButtonElement, visible: boolean): void {
  const input = document.getElementById(toggle.getAttribute('aria-controls') ?? '');
  if (!(input instanceof HTMLInputElement)) return;
  const m = pageMessages();
  input.type = visible ? 'text' : 'password';
  const text = toggle.querySelector('[data-toggle-text]');
  if (text) text.textContent = visible ? m.t('hide') : m.t('show');
}

/** Show/hide buttons beside password inputs, for every form on the page (now and after refreshes). */
export function wireSecretToggles(root: Document): void {
  root.addEventListener('click', (event) => {
    const toggle = (event.target as Element | null)?.closest<HTMLButtonElement>('[data-toggle-secret]');
    if (!toggle) return;
    const input = document.getElementById(toggle.getAttribute('aria-controls') ?? '');
    if (input instanceof HTMLInputElement) setSecretVisible(toggle, input.type === 'password');
  });
}

/** Disables a submit button while its request runs, showing what is happening. */
export function setBusy(form: HTMLFormElement, busy: boolean, text: string): void {
  const button = form.querySelector<HTMLButtonElement>('[data-submit]');
  const label = form.querySelector('[data-submit-text]');
  form.setAttribute('aria-busy', String(busy));
  if (button) button.disabled = busy;
  if (label) label.textContent = text;
}

export interface SealedSubmit {
  form: HTMLFormElement;
  /** Where the kind's fields are (the whole form, or the fieldset of the chosen kind). */
  fields: ParentNode;
  alert: HTMLElement;
  publicKey: string;
  m: Messages;
  /** The submit button's text when idle again. */
  idleText: string;
  /** Problems with inputs outside the kind's fields (the intake label). */
  otherProblems?: FieldProblem[];
  send(sealed: string): Promise<void>;
}

/** One submission: check the fields as the server would, seal them, send only the sealed box. */
export async function submitSealed(s: SealedSubmit): Promise<void> {
  if (s.form.getAttribute('aria-busy') === 'true') return;
  clearProblems(s.form, s.alert);
  const { fields, problems } = readFields(s.fields, s.m);
  problems.unshift(...(s.otherProblems ?? []));
  if (problems.length) {
    showProblems(problems, s.alert, s.m);
    return;
  }
  setBusy(s.form, true, s.m.t('intake.submitting'));
  try {
    await s.send(await sealFields(fields, s.publicKey));
  } catch {
    showAlert(s.alert, s.m.t('errors.generic'));
  } finally {
    setBusy(s.form, false, s.idleText);
  }
}
