import type { ConsoleStrings } from '../console-strings.js';
import { callApi, downloadFile, sessionEnded, type ApiResult } from './console-api.js';
import { connectionString } from './connection-strings.js';
import { formatFileSize } from '../../../languages/file-sizes.js';
import { copyText, hideAlert, setBusy, showAlert, showFailure } from './page-kit.js';
import { answerWithPasskey, passkeysWork } from './passkeys.js';
import { proofOf } from './second-factor-codes.js';

// The reveal dialog: a reason (prefilled with the ticket's reference; Ctrl+Enter sends it), a
// step-up sign-in when the session is older than 15 minutes, then the fields: the secret ones
// (data-secret-fields, from SECRET_FIELDS) masked with show, the rest plain, each with copy, plus
// the kind's connection string and "Copy all". The values live only in this module's memory and,
// while shown, in the elements that show them; they are removed from the page when the dialog
// closes or after data-reveal-seconds (60), whichever comes first. Then "Reveal again" makes a
// new audited reveal with the same reason.

/** Fields in the order an engineer reads them; any other field follows. */
const FIELD_ORDER = ['url', 'baseUrl', 'host', 'protocol', 'port', 'partnerId', 'username', 'password', 'key', 'secret', 'privateKey', 'path', 'notes'];
const MULTILINE = new Set(['privateKey', 'notes']);

interface RevealedFile {
  id: string;
  name: string;
  size: number;
}

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
  const stepUpPasswordBox = stepUpForm.querySelector<HTMLElement>('[data-step-up-password]');
  const stepUpFactorBox = stepUpForm.querySelector<HTMLElement>('[data-step-up-factor]');
  const stepUpCode = stepUpForm.querySelector<HTMLInputElement>('#step-up-code');
  const stepUpPasskey = stepUpForm.querySelector<HTMLButtonElement>('[data-step-up-passkey]');

  /** What the last step-up asked for: the member's second factor, or the password. */
  let stepUpWithFactor = false;
  const stepUpSso = stepUpForm.querySelector<HTMLAnchorElement>('[data-step-up-sso]');
  const fieldsStep = dialog.querySelector<HTMLElement>('[data-step="fields"]')!;
  const list = dialog.querySelector<HTMLElement>('[data-revealed]')!;
  const timerText = dialog.querySelector<HTMLElement>('[data-reveal-timer]')!;
  const copyStatus = fieldsStep.querySelector<HTMLElement>('[data-copy-status]')!;
  const connect = fieldsStep.querySelector<HTMLElement>('[data-connect]')!;
  const connectValue = connect.querySelector<HTMLElement>('[data-connect-value]')!;
  const copyAll = fieldsStep.querySelector<HTMLButtonElement>('[data-copy-all]')!;
  const again = fieldsStep.querySelector<HTMLElement>('[data-reveal-again]')!;
  const againButton = again.querySelector<HTMLButtonElement>('[data-reveal-again-button]')!;
  const againHint = again.querySelector<HTMLElement>('[data-reveal-again-hint]')!;
  const done = fieldsStep.querySelector<HTMLButtonElement>('.dialog__actions [data-dialog-close]')!;
  const filesBox = fieldsStep.querySelector<HTMLElement>('[data-revealed-files]')!;
  const filesList = filesBox.querySelector<HTMLUListElement>('[data-files-list]')!;
  const seconds = () => Math.max(1, Number(dialog.dataset.revealSeconds) || 60);
  const secretFields = JSON.parse(dialog.dataset.secretFields ?? '{}') as Record<string, string[]>;

  let target: RevealTarget | null = null;
  /** The revealed credential's kind and values, in reading order; null once removed. */
  let revealed: { kind: string; values: Map<string, string> } | null = null;
  /** The reason of the last reveal: "Reveal again" records a new reveal with it. */
  let reason = '';
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
    revealed?.values.clear();
    revealed = null;
    list.replaceChildren();
    filesList.replaceChildren();
    filesBox.hidden = true;
    connectValue.textContent = '';
    connect.hidden = true;
    copyStatus.textContent = '';
  }

  const labelOf = (name: string) => t.fields[name]?.label ?? name;

  function fieldRow(name: string, value: string, secret: boolean): HTMLElement[] {
    const label = labelOf(name);
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.className = 'revealed__row';
    const shown = document.createElement(MULTILINE.has(name) ? 'pre' : 'code');
    shown.className = 'secret-value';
    shown.dataset.field = name;
    shown.dataset.masked = String(secret);
    shown.id = `revealed-${name}`;
    shown.textContent = secret ? t.reveal.masked : value;
    const actions = document.createElement('span');
    actions.className = 'revealed__actions';
    if (secret) {
      const toggle = document.createElement('button');
      toggle.type = 'button';
      toggle.className = 'button button--quiet button--small';
      toggle.dataset.revealToggle = name;
      toggle.setAttribute('aria-pressed', 'false');
      toggle.setAttribute('aria-controls', shown.id);
      toggle.setAttribute('aria-label', t.reveal.showLabel(label));
      toggle.textContent = t.show;
      actions.append(toggle);
    }
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'button button--secondary button--small';
    copy.dataset.revealCopy = name;
    copy.setAttribute('aria-label', t.reveal.copyLabel(label));
    copy.textContent = t.copy;
    actions.append(copy);
    dd.append(shown, actions);
    return [dt, dd];
  }

  /** Every value as "Label: value" lines, the connection string first. */
  function allValues(): string {
    if (!revealed) return '';
    const connection = connectionString(revealed.kind, Object.fromEntries(revealed.values));
    const lines = [...revealed.values].map(([name, value]) => (value.includes('\n') ? `${labelOf(name)}:\n${value}` : `${labelOf(name)}: ${value}`));
    return [...(connection ? [`${t.reveal.connect}: ${connection}`] : []), ...lines].join('\n');
  }

  /** DESIGN "Attachments": each file has its own Download, a reveal of its own with the same reason. */
  function showFiles(files: RevealedFile[]): void {
    filesList.replaceChildren(
      ...files.map((file) => {
        const item = document.createElement('li');
        item.className = 'revealed-files__item';
        const name = document.createElement('span');
        name.className = 'revealed-files__name';
        name.textContent = file.name;
        const size = document.createElement('span');
        size.className = 'muted';
        size.textContent = formatFileSize(file.size, document.documentElement.lang || 'en');
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'button button--secondary button--small';
        button.dataset.downloadFile = file.id;
        button.textContent = t.reveal.download;
        button.setAttribute('aria-label', t.reveal.downloadLabel(file.name));
        button.addEventListener('click', () => void download(file, button));
        item.append(name, ' ', size, ' ', button);
        return item;
      }),
    );
    filesBox.hidden = files.length === 0;
  }

  async function download(file: RevealedFile, button: HTMLButtonElement): Promise<void> {
    if (!target || button.disabled) return;
    hideAlert(alert);
    button.disabled = true;
    button.textContent = t.reveal.downloading;
    const { result, blob } = await downloadFile(`/credentials/${target.id}/files/${file.id}/download`, { reason });
    button.disabled = false;
    button.textContent = t.reveal.download;
    if (result.status === 202) {
      approvalPending(result);
      return;
    }
    if (!blob) {
      refused(result);
      return;
    }
    changed = true;
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = file.name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    copyStatus.textContent = t.reveal.downloaded(file.name);
  }

  function showFields(kind: string, fields: Record<string, string>, files: RevealedFile[] = []): void {
    wipe();
    showFiles(files);
    const names = Object.keys(fields).sort((a, b) => rank(a) - rank(b));
    revealed = { kind, values: new Map(names.map((name) => [name, fields[name]!])) };
    const secret = new Set(secretFields[kind] ?? names);
    list.replaceChildren(...names.flatMap((name) => fieldRow(name, fields[name]!, secret.has(name))));
    const connection = connectionString(kind, fields);
    connectValue.textContent = connection ?? '';
    connect.hidden = connection === null;
    offerAgain(false);
    show('fields');
    const deadline = Date.now() + seconds() * 1000;
    const tick = () => {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) return hideValues();
      timerText.textContent = t.reveal.hiddenIn(left);
    };
    tick();
    timer = window.setInterval(tick, 1000);
    (connect.hidden ? list.querySelector<HTMLElement>('[data-reveal-copy]') : connect.querySelector<HTMLElement>('[data-connect-copy]'))?.focus();
  }

  /** The 60 s are up: the values go, and one click reveals again (a new reveal, audited anew). */
  function hideValues(): void {
    const hadFocus = fieldsStep.contains(document.activeElement);
    wipe();
    timerText.textContent = t.reveal.hiddenNow;
    againHint.textContent = t.reveal.revealAgainHint(reason);
    offerAgain(true);
    if (hadFocus) againButton.focus();
  }

  /** With the values gone, "Reveal again" is the one primary button; "Copy all" has nothing to copy. */
  function offerAgain(offer: boolean): void {
    again.hidden = !offer;
    copyAll.hidden = offer;
    done.classList.toggle('button--primary', !offer);
    done.classList.toggle('button--secondary', offer);
  }

  function refused(result: ApiResult): void {
    showFailure(alert, result, t);
    if (result.status === 404 || result.status === 410 || result.status === 423 || result.code === 'reveal_refused') {
      reasonForm.querySelector<HTMLButtonElement>('[data-submit]')!.disabled = true;
      changed = true;
    }
  }

  /** Ask me first (decision 027): nothing revealed (or downloaded); the customer decides by e-mail. */
  function approvalPending(result: ApiResult): void {
    changed = true;
    const pending = result.body as { requestedAt: string };
    const at = new Intl.DateTimeFormat(t.locale, t.shortDateTime).format(new Date(pending.requestedAt));
    alert.classList.replace('alert--error', 'alert--warning');
    alert.setAttribute('data-approval-pending', '');
    showAlert(alert, t.reveal.approvalPending(at));
    reasonForm.querySelector<HTMLButtonElement>('[data-submit]')!.disabled = true;
  }

  /** `from`: the form or box whose button shows the request in flight. */
  async function reveal(from: HTMLElement = reasonForm): Promise<void> {
    if (!target) return;
    const idle = from === reasonForm ? t.reveal.submit : from === again ? t.reveal.revealAgain : t.reveal.stepUpSubmit;
    setBusy(from, true, t.reveal.revealing);
    const result = await callApi('POST', `/credentials/${target.id}/reveal`, { reason });
    setBusy(from, false, idle);
    if (result.status === 202) {
      approvalPending(result);
      return;
    }
    if (result.ok) {
      changed = true;
      const body = result.body as { kind: string; fields: Record<string, string>; files?: RevealedFile[] };
      showFields(body.kind, body.fields, body.files);
      return;
    }
    if (result.code === 'reauthentication_required') {
      show('step-up');
      if (stepUpSso) stepUpSso.href = `/console/oidc/start?reauth=1&next=${encodeURIComponent(`${location.pathname}#reveal-${target.id}`)}`;
      const asked = result.body as { stepUp?: string; passkey?: boolean } | null;
      stepUpWithFactor = asked?.stepUp === 'second_factor' && stepUpCode !== null;
      if (stepUpPasskey) stepUpPasskey.hidden = !passkeysWork() || asked?.passkey !== true;
      if (stepUpPasswordBox && stepUpFactorBox) {
        stepUpPasswordBox.hidden = stepUpWithFactor;
        stepUpFactorBox.hidden = !stepUpWithFactor;
      }
      (stepUpWithFactor ? stepUpCode : (stepUpPassword ?? stepUpSso))?.focus();
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
    reason = reasonInput.value.trim();
    void reveal();
  });

  reasonInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      reasonForm.requestSubmit();
    }
  });

  againButton.addEventListener('click', () => {
    if (again.getAttribute('aria-busy') === 'true') return;
    hideAlert(alert);
    void reveal(again);
  });

  connect.querySelector<HTMLButtonElement>('[data-connect-copy]')!.addEventListener('click', () => {
    if (revealed && connectValue.textContent) void copyText(connectValue.textContent, copyStatus, t);
  });

  copyAll.addEventListener('click', async () => {
    if (revealed && (await copyText(allValues(), null, t))) copyStatus.textContent = t.reveal.copiedAll;
    else if (revealed) copyStatus.textContent = t.copyFailed;
  });

  stepUpForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = stepUpWithFactor ? stepUpCode : stepUpPassword;
    if (!input || stepUpForm.getAttribute('aria-busy') === 'true') return;
    hideAlert(alert);
    if (!input.value.trim()) {
      input.focus();
      return;
    }
    setBusy(stepUpForm, true, t.signIn.submitting);
    // With a second factor the code alone confirms this session; otherwise the password signs in afresh.
    const result = stepUpWithFactor
      ? await callApi('POST', '/auth/step-up', proofOf(input.value))
      : await callApi('POST', '/auth/login', { email: document.body.dataset.staffEmail ?? '', password: input.value });
    setBusy(stepUpForm, false, t.reveal.stepUpSubmit);
    input.value = '';
    if (!result.ok) {
      showFailure(alert, result, t);
      if (!sessionEnded(result)) input.focus();
      return;
    }
    await reveal(stepUpForm);
  });

  stepUpPasskey?.addEventListener('click', async () => {
    if (stepUpForm.getAttribute('aria-busy') === 'true') return;
    hideAlert(alert);
    const answer = await answerWithPasskey('/auth/step-up/options');
    const result = 'failed' in answer ? answer.failed : await callApi('POST', '/auth/step-up', { passkey: answer.response });
    if (!result.ok) {
      showFailure(alert, result, t);
      return;
    }
    await reveal(stepUpForm);
  });

  list.addEventListener('click', (event) => {
    const button = (event.target as Element | null)?.closest<HTMLButtonElement>('button');
    if (!button || !revealed) return;
    const name = button.dataset.revealToggle ?? button.dataset.revealCopy;
    const value = name === undefined ? undefined : revealed.values.get(name);
    if (value === undefined || name === undefined) return;
    const label = labelOf(name);
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
    if (stepUpCode) stepUpCode.value = '';
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
      alert.classList.replace('alert--warning', 'alert--error');
      alert.removeAttribute('data-approval-pending');
      reasonError.hidden = true;
      reasonInput.removeAttribute('aria-invalid');
      reasonInput.value = dialog.dataset.reasonPrefill ?? '';
      reason = '';
      offerAgain(false);
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
