import qrcode from 'qrcode-generator';
import type { ConsoleStrings } from '../console-strings.js';
import { callApi } from './console-api.js';
import { copyText, hideAlert, refreshRegions, setBusy, showAlert, showFailure } from './page-kit.js';
import { answerWithPasskey, createPasskey, passkeysWork } from './passkeys.js';
import { proofOf } from './second-factor-codes.js';

// Sign-in security: add an authenticator app (a QR code drawn here, from the otpauth:// URI the
// server made: nothing leaves for a QR service), confirm it with a typed code, show the recovery
// codes once; remove an app or get new codes with a current code.

const SVG = 'http://www.w3.org/2000/svg';

/** The QR code of `text` as an SVG of dark squares, built with DOM calls (no markup strings). */
function drawQrCode(host: HTMLElement, text: string): void {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const quiet = 4;
  const size = count + quiet * 2;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('shape-rendering', 'crispEdges');
  const background = document.createElementNS(SVG, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#ffffff');
  let d = '';
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) if (qr.isDark(row, col)) d += `M${col + quiet} ${row + quiet}h1v1h-1z`;
  }
  const modules = document.createElementNS(SVG, 'path');
  modules.setAttribute('d', d);
  modules.setAttribute('fill', '#000000');
  svg.append(background, modules);
  host.replaceChildren(svg);
}

export function startAccountPage(t: ConsoleStrings): void {
  const status = document.querySelector<HTMLElement>('#account-status');
  const alert = document.querySelector<HTMLElement>('#console-error');
  const enrolError = document.querySelector<HTMLElement>('#enrol-error');
  if (!status || !alert || !enrolError) return;
  const say = (message: string) => {
    hideAlert(alert);
    status.textContent = message;
  };
  const startButton = document.querySelector<HTMLButtonElement>('[data-action="start-enrolment"]')!;
  const enrolment = document.querySelector<HTMLElement>('[data-enrolment]')!;
  const enrolForm = document.querySelector<HTMLFormElement>('#enrol-form')!;
  const enrolCode = document.querySelector<HTMLInputElement>('#enrol-code')!;
  const newCodes = document.querySelector<HTMLElement>('[data-new-codes]')!;
  const codesList = newCodes.querySelector<HTMLElement>('[data-codes]')!;
  const copyStatus = newCodes.querySelector<HTMLElement>('[data-copy-status]')!;
  const proofDialog = document.querySelector<HTMLDialogElement>('#proof-dialog')!;
  const proofForm = proofDialog.querySelector<HTMLFormElement>('form')!;
  const proofInput = proofDialog.querySelector<HTMLInputElement>('#proof-code')!;
  const proofText = proofDialog.querySelector<HTMLElement>('#proof-text')!;
  const proofAlert = proofDialog.querySelector<HTMLElement>('#proof-error')!;
  const proofPasskey = proofDialog.querySelector<HTMLButtonElement>('[data-proof-passkey]')!;
  const passkeys = document.querySelector<HTMLElement>('[data-passkeys]')!;
  const passkeyForm = document.querySelector<HTMLFormElement>('#passkey-form')!;
  const passkeyError = document.querySelector<HTMLElement>('#passkey-error')!;
  passkeys.hidden = !passkeysWork();
  let enrolling: string | null = null;
  let codes: string[] = [];
  /** What the proof dialog confirms. */
  let pending: { path: string; done: (body: unknown) => Promise<void> } | null = null;

  const nextPage = () => document.querySelector<HTMLElement>('#account-factors')?.dataset.next ?? '/console';
  const refresh = () => refreshRegions(['account-factors'], t);

  function showCodes(fresh: string[]): void {
    codes = fresh;
    codesList.replaceChildren(
      ...fresh.map((code) => {
        const li = document.createElement('li');
        li.textContent = code;
        return li;
      }),
    );
    copyStatus.textContent = '';
    newCodes.hidden = false;
    newCodes.focus();
  }

  startButton.addEventListener('click', async () => {
    hideAlert(enrolError);
    startButton.disabled = true;
    const result = await callApi('POST', '/account/totp', {});
    startButton.disabled = false;
    if (!result.ok) return showFailure(enrolError, result, t);
    const body = result.body as { id: string; secret: string; otpauthUri: string };
    enrolling = body.id;
    drawQrCode(enrolment.querySelector<HTMLElement>('[data-qr]')!, body.otpauthUri);
    enrolment.querySelector<HTMLElement>('[data-totp-secret]')!.textContent = body.secret.match(/.{1,4}/g)!.join(' ');
    enrolment.hidden = false;
    startButton.hidden = true;
    enrolCode.value = '';
    enrolCode.focus();
  });

  enrolForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!enrolling || enrolForm.getAttribute('aria-busy') === 'true') return;
    hideAlert(enrolError);
    const code = enrolCode.value.replace(/\s/g, '');
    if (!/^\d{6}$/.test(code)) {
      showAlert(enrolError, t.errors.invalid_code as string);
      enrolCode.focus();
      return;
    }
    setBusy(enrolForm, true, t.signIn.verifying);
    const result = await callApi('POST', `/account/totp/${enrolling}/confirm`, { code });
    setBusy(enrolForm, false, t.account.confirm);
    if (!result.ok) {
      showFailure(enrolError, result, t);
      enrolCode.select();
      return;
    }
    enrolling = null;
    enrolment.hidden = true;
    startButton.hidden = false;
    document.querySelector('#enrolment-due')?.remove();
    await refresh();
    say(t.account.confirmed);
    const body = result.body as { recoveryCodes?: string[] };
    if (body.recoveryCodes) showCodes(body.recoveryCodes);
  });

  newCodes.addEventListener('click', async (event) => {
    const button = (event.target as Element | null)?.closest<HTMLButtonElement>('button[data-action]');
    if (button?.dataset.action === 'copy-codes') {
      if (await copyText(codes.join('\n'), null, t)) copyStatus.textContent = t.copied;
      else copyStatus.textContent = t.copyFailed;
    } else if (button?.dataset.action === 'codes-saved') {
      codes = [];
      codesList.replaceChildren();
      newCodes.hidden = true;
      location.assign(nextPage());
    }
  });

  passkeyForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (passkeyForm.getAttribute('aria-busy') === 'true') return;
    hideAlert(passkeyError);
    setBusy(passkeyForm, true, t.saving);
    const created = await createPasskey();
    const result = 'failed' in created ? created.failed : await callApi('POST', '/account/passkeys', { name: passkeyForm.querySelector<HTMLInputElement>('#passkey-name')!.value.trim() || undefined, response: created.response });
    setBusy(passkeyForm, false, t.account.addPasskey);
    if (!result.ok) return showFailure(passkeyError, result, t);
    passkeyForm.reset();
    document.querySelector('#enrolment-due')?.remove();
    await refresh();
    say(t.account.passkeyAdded);
    const body = result.body as { recoveryCodes?: string[] };
    if (body.recoveryCodes) showCodes(body.recoveryCodes);
  });

  /** Sends the proof dialog's request with `proof`; closes the dialog and finishes on success. */
  async function sendProof(proof: unknown): Promise<void> {
    if (!pending) return;
    setBusy(proofForm, true, t.signIn.verifying);
    const result = await callApi('POST', pending.path, proof);
    setBusy(proofForm, false, t.account.confirm);
    proofInput.value = '';
    if (!result.ok) {
      showFailure(proofAlert, result, t);
      proofInput.focus();
      return;
    }
    const { done } = pending;
    pending = null;
    proofDialog.close();
    await done(result.body);
  }

  proofPasskey.addEventListener('click', async () => {
    hideAlert(proofAlert);
    const answer = await answerWithPasskey('/auth/step-up/options');
    if ('failed' in answer) return showFailure(proofAlert, answer.failed, t);
    await sendProof({ passkey: answer.response });
  });

  function askProof(text: string, path: string, done: (body: unknown) => Promise<void>): void {
    pending = { path, done };
    proofPasskey.hidden = !passkeysWork() || !document.querySelector('#account-factors[data-has-passkey]');
    proofText.textContent = text;
    proofInput.value = '';
    hideAlert(proofAlert);
    proofDialog.showModal();
    proofInput.focus();
  }

  document.addEventListener('click', (event) => {
    const button = (event.target as Element | null)?.closest<HTMLButtonElement>('#account-factors button[data-action]');
    if (!button) return;
    if (button.dataset.action === 'remove-factor') {
      const item = button.closest<HTMLElement>('[data-factor-id]')!;
      const name = item.dataset.name ?? '';
      askProof(t.account.removeText(name), `/account/factors/${item.dataset.factorId}/remove`, async () => {
        await refresh();
        say(t.account.removed(name));
      });
    } else if (button.dataset.action === 'regenerate-codes') {
      askProof(t.account.regenerateProofText, '/account/recovery-codes', async (body) => {
        await refresh();
        showCodes((body as { recoveryCodes: string[] }).recoveryCodes);
      });
    }
  });

  proofForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!pending || proofForm.getAttribute('aria-busy') === 'true') return;
    hideAlert(proofAlert);
    if (!proofInput.value.trim()) {
      proofInput.focus();
      return;
    }
    await sendProof(proofOf(proofInput.value));
  });
}
