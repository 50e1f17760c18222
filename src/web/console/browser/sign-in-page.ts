import type { ConsoleStrings } from '../console-strings.js';
import { callApi } from './console-api.js';
import { hideAlert, setBusy, showFailure, showAlert } from './page-kit.js';

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
    if (result.ok) {
      location.assign(form.dataset.next || '/console');
      return;
    }
    setBusy(form, false, t.signIn.submit);
    password.value = '';
    showFailure(alert, result, t);
  });
}
