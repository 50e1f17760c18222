import type { ConsoleStrings } from '../console-strings.js';
import { callApi, sessionEnded, type ApiResult } from './console-api.js';
import { copyText, hideAlert, setBusy, showFailure } from './page-kit.js';

// The reveal dialog: a reason (prefilled with the ticket's reference), a step-up sign-in when the
// session is older than 15 minutes, then the fields masked, each with show and copy. The values
// live only in this module's memory and, while shown, in one element each; they are removed from
// the page when the dialog closes or after data-reveal-seconds (60), whichever comes first.

/** Fields in the order an engineer reads them; any other field follows. */
const FIELD_ORDER = ['url', 'baseUrl', 'host', 'protocol', 'port', 'partnerId', 'username', 'password', 'key', 'secret', 'privateKey', 'path', 'notes'];
const MULTILINE = new Set(['privateKey', 'notes']);

export interface RevealTarget {
  id: string;
  label: string;
}

export function wireRevealDialog(t: ConsoleStrings, onChanged: () => void): { open(target: RevealTarget): void } | null {
  const dialog = document.querySelector<HTMLDialogElement>('#reveal-dialog');
  if (!dialog) return null;
  const heading = dialog.querySelector<HTMLElement>('#reveal-heading')!;
  const alert = dialog.querySelector<HTMLElement>('#reveal-error')!;
  const reasonForm = dialog.querySelector<HTMLFormElement>('[data-step="reason"]')!;
  const reasonInput = dialog.querySelector<HTMLTextAreaElement>('#reveal-reason')!;
  const reasonError = dialog.querySelector<HTMLElement>('#reveal-reason-error')!;
  const stepUpForm = dialog.querySelector<HTMLFormElement>('[data-step="step-up"]')!;
  const stepUpPassword = stepUpForm.querySelector<HTMLInputElement>('#step-up-password');
  const stepUpSso = stepUpForm.querySelector<HTMLAnchorElement>('[data-step-up-sso]');
  const fieldsStep = dialog.querySelector<HTMLElement>('[data-step="fields"]')!;
  const list = dialog.querySelector<HTMLElement>('[data-revealed]')!;
  const timerText = dialog.querySelector<HTMLElement>('[data-reveal-timer]')!;
  const copyStatus = fieldsStep.querySelector<HTMLElement>('[data-copy-status]')!;
  const seconds = () => Math.max(1, Number(dialog.dataset.revealSeconds) || 60);

  let target: RevealTarget | null = null;
  let values: Map<string, string> | null = null;
  let timer: number | null = null;
  let changed = false;

  const show = (step: 'reason' | 'step-up' | 'fields') => {
    reasonForm.hidden = step !== 'reason';
    stepUpForm.hidden = step !== 'step-up';
    fieldsStep.hidden = step !== 'fields';
  };

  /** Removes every revealed value from the page and from memory. */
  function wipe(): void {
    if (timer !== null) clearInterval(timer);
    timer = null;
    values?.clear();
    values = null;
    list.replaceChildren();
    copyStatus.textContent = '';
  }

  function fieldRow(name: string): HTMLElement[] {
    const label = t.fields[name]?.label ?? name;
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.className = 'revealed__row';
    const value = document.createElement(MULTILINE.has(name) ? 'pre' : 'code');
    value.className = 'secret-value';
    value.dataset.field = name;
    value.dataset.masked = 'true';
    value.id = `revealed-${name}`;
    value.textContent = t.reveal.masked;
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'button button--quiet button--small';
    toggle.dataset.revealToggle = name;
    toggle.setAttribute('aria-pressed', 'false');
    toggle.setAttribute('aria-controls', value.id);
    toggle.setAttribute('aria-label', t.reveal.showLabel(label));
    toggle.textContent = t.show;
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'button button--secondary button--small';
    copy.dataset.revealCopy = name;
    copy.setAttribute('aria-label', t.reveal.copyLabel(label));
    copy.textContent = t.copy;
    const actions = document.createElement('span');
    actions.className = 'revealed__actions';
    actions.append(toggle, copy);
    dd.append(value, actions);
    return [dt, dd];
  }

  function showFields(fields: Record<string, string>): void {
    wipe();
    const names = Object.keys(fields).sort((a, b) => rank(a) - rank(b));
    values = new Map(names.map((name) => [name, fields[name]!]));
    list.replaceChildren(...names.flatMap(fieldRow));
    show('fields');
    const deadline = Date.now() + seconds() * 1000;
    const tick = () => {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) {
        wipe();
        timerText.textContent = t.reveal.hiddenNow;
        return;
      }
      timerText.textContent = t.reveal.hiddenIn(left);
    };
    tick();
    timer = window.setInterval(tick, 1000);
    list.querySelector<HTMLElement>('[data-reveal-copy]')?.focus();
  }

  function refused(result: ApiResult): void {
    showFailure(alert, result, t);
    if (result.status === 404 || result.status === 410 || result.status === 423) {
      reasonForm.querySelector<HTMLButtonElement>('[data-submit]')!.disabled = true;
      changed = true;
    }
  }

  async function reveal(): Promise<void> {
    if (!target) return;
    const reason = reasonInput.value.trim();
    setBusy(reasonForm, true, t.reveal.revealing);
    const result = await callApi('POST', `/credentials/${target.id}/reveal`, { reason });
    setBusy(reasonForm, false, t.reveal.submit);
    if (result.ok) {
      changed = true;
      showFields((result.body as { fields: Record<string, string> }).fields);
      return;
    }
    if (result.code === 'reauthentication_required') {
      show('step-up');
      if (stepUpSso) stepUpSso.href = `/console/oidc/start?reauth=1&next=${encodeURIComponent(`${location.pathname}#reveal-${target.id}`)}`;
      (stepUpPassword ?? stepUpSso)?.focus();
      return;
    }
    show('reason');
    refused(result);
  }

  reasonForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (reasonForm.getAttribute('aria-busy') === 'true') return;
    hideAlert(alert);
    reasonInput.removeAttribute('aria-invalid');
    reasonError.hidden = true;
    if (!reasonInput.value.trim()) {
      reasonInput.setAttribute('aria-invalid', 'true');
      reasonError.textContent = t.reveal.reasonMissing;
      reasonError.hidden = false;
      reasonInput.focus();
      return;
    }
    void reveal();
  });

  stepUpForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!stepUpPassword || stepUpForm.getAttribute('aria-busy') === 'true') return;
    hideAlert(alert);
    if (!stepUpPassword.value) {
      stepUpPassword.focus();
      return;
    }
    setBusy(stepUpForm, true, t.signIn.submitting);
    const result = await callApi('POST', '/auth/login', { email: document.body.dataset.staffEmail ?? '', password: stepUpPassword.value });
    setBusy(stepUpForm, false, t.reveal.stepUpSubmit);
    stepUpPassword.value = '';
    if (!result.ok) {
      showFailure(alert, result, t);
      if (!sessionEnded(result)) stepUpPassword.focus();
      return;
    }
    await reveal();
  });

  list.addEventListener('click', (event) => {
    const button = (event.target as Element | null)?.closest<HTMLButtonElement>('button');
    if (!button || !values) return;
    const name = button.dataset.revealToggle ?? button.dataset.revealCopy;
    const value = name === undefined ? undefined : values.get(name);
    if (value === undefined || name === undefined) return;
    const label = t.fields[name]?.label ?? name;
    if (button.dataset.revealToggle !== undefined) {
      const el = list.querySelector<HTMLElement>(`[data-field="${CSS.escape(name)}"]`)!;
      const visible = el.dataset.masked === 'true';
      el.textContent = visible ? value : t.reveal.masked;
      el.dataset.masked = String(!visible);
      button.setAttribute('aria-pressed', String(visible));
      button.setAttribute('aria-label', visible ? t.reveal.hideLabel(label) : t.reveal.showLabel(label));
      button.textContent = visible ? t.hide : t.show;
    } else {
      void copyText(value, copyStatus, t);
    }
  });

  // Escape fires `cancel` before `close`: the values go at the first moment either way.
  dialog.addEventListener('cancel', wipe);
  dialog.addEventListener('close', () => {
    wipe();
    if (stepUpPassword) stepUpPassword.value = '';
    const opener = target && document.querySelector<HTMLElement>(`[data-credential-id="${CSS.escape(target.id)}"] [data-action="reveal"]`);
    target = null;
    if (changed) onChanged();
    else opener?.focus();
    changed = false;
  });

  return {
    open(next: RevealTarget) {
      wipe();
      target = next;
      changed = false;
      heading.textContent = t.reveal.heading(next.label);
      hideAlert(alert);
      reasonError.hidden = true;
      reasonInput.removeAttribute('aria-invalid');
      reasonInput.value = dialog.dataset.reasonPrefill ?? '';
      reasonForm.querySelector<HTMLButtonElement>('[data-submit]')!.disabled = false;
      show('reason');
      dialog.showModal();
      reasonInput.focus();
      reasonInput.setSelectionRange(reasonInput.value.length, reasonInput.value.length);
    },
  };
}

function rank(name: string): number {
  const i = FIELD_ORDER.indexOf(name);
  return i === -1 ? FIELD_ORDER.length : i;
}
