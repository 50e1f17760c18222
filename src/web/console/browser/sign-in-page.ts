import type { ConsoleStrings } from '../console-strings.js';
import { callApi } from './console-api.js';
import { hideAlert, setBusy, showFailure, showAlert } from './page-kit.js';
import { answerWithPasskey, passkeysWork } from './passkeys.js';
import { proofOf } from './second-factor-codes.js';

export function startSignInPage(t: ConsoleStrings): void {
  const form = document.querySelector<HTMLFormElement>('#sign-in-form');
  const alert = document.querySelector<HTMLElement>('#sign-in-error');
  if (!form || !alert) return;
  const email = form.querySelector<HTMLInputElement>('#sign-in-email')!;
  const password = form.querySelector<HTMLInputElement>('#sign-in-password')!;
  // Rendered disabled, so that Enter before this script ran cannot submit the form natively.
  form.querySelector<HTMLButtonElement>('[data-submit]')!.disabled = false;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    hideAlert(alert);
    if (!email.value.trim() || !password.value) {
      showAlert(alert, t.errors.invalid_credentials as string);
      (email.value.trim() ? password : email).focus();
      return;
    }
    setBusy(form, true, t.signIn.submitting);
    const result = await callApi('POST', '/auth/login', { email: email.value.trim(), password: password.value });
    setBusy(form, false, t.signIn.submit);
    password.value = '';
    if (result.status === 202) {
      // The password was right; the second factor comes next (no session until it passes).
      const { secondFactor } = result.body as { secondFactor: { pendingToken: string; methods: string[] } };
      pendingToken = secondFactor.pendingToken;
      form.hidden = true;
      passkeyButton.hidden = true;
      second.hidden = false;
      secondPasskey.hidden = !passkeysWork() || !secondFactor.methods.includes('passkey');
      code.value = '';
      code.focus();
      return;
    }
    if (result.ok) {
      location.assign(form.dataset.next || '/console');
      return;
    }
    showFailure(alert, result, t);
  });

  const second = document.querySelector<HTMLFormElement>('#second-factor-form')!;
  const code = second.querySelector<HTMLInputElement>('#second-factor-code')!;
  let pendingToken = '';

  const passkeyButton = document.querySelector<HTMLButtonElement>('[data-passkey-sign-in]')!;
  const secondPasskey = second.querySelector<HTMLButtonElement>('[data-passkey-second]')!;
  passkeyButton.hidden = !passkeysWork();
  const next = () => location.assign(form.dataset.next || '/console');

  // A passkey alone: the browser offers the vault's passkeys it holds (discoverable credentials).
  passkeyButton.addEventListener('click', async () => {
    hideAlert(alert);
    const answer = await answerWithPasskey('/auth/passkey/options');
    const result = 'failed' in answer ? answer.failed : await callApi('POST', '/auth/passkey', { response: answer.response });
    if (result.ok) return next();
    showFailure(alert, result, t);
  });

  secondPasskey.addEventListener('click', async () => {
    hideAlert(alert);
    const answer = await answerWithPasskey('/auth/passkey/options', { pendingToken });
    const result = 'failed' in answer ? answer.failed : await callApi('POST', '/auth/login/second-factor', { pendingToken, passkey: answer.response });
    if (result.ok) return next();
    showFailure(alert, result, t);
    if (result.code === 'sign_in_expired') startOver();
  });

  const startOver = () => {
    pendingToken = '';
    code.value = '';
    second.hidden = true;
    form.hidden = false;
    passkeyButton.hidden = !passkeysWork();
    email.focus();
  };
  second.querySelector<HTMLButtonElement>('[data-start-over]')!.addEventListener('click', () => {
    hideAlert(alert);
    startOver();
  });

  second.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (second.getAttribute('aria-busy') === 'true') return;
    hideAlert(alert);
    if (!code.value.trim()) {
      code.focus();
      return;
    }
    setBusy(second, true, t.signIn.verifying);
    const result = await callApi('POST', '/auth/login/second-factor', { pendingToken, ...proofOf(code.value) });
    if (result.ok) {
      location.assign(form.dataset.next || '/console');
      return;
    }
    setBusy(second, false, t.signIn.verify);
    code.value = '';
    showFailure(alert, result, t);
    if (result.code === 'sign_in_expired') startOver();
    else code.focus();
  });
}
