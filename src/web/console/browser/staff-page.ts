import type { ConsoleStrings } from '../console-strings.js';
import { callApi } from './console-api.js';
import {
  clearFieldErrorsOnInput,
  clearFields,
  confirmAction,
  hideAlert,
  markFields,
  refreshRegions,
  reportProblems,
  setBusy,
  showAlert,
  showFailure,
} from './page-kit.js';

// Staff administration (admins): change a role, disable or enable, set a password, sign someone
// out everywhere, link them to single sign-on, add someone.

/** What the API takes as a subject: 1–255 printable ASCII characters (OpenID Connect's limit). */
const SUBJECT = /^[\x20-\x7e]{1,255}$/;

export function startStaffPage(t: ConsoleStrings): void {
  const status = document.querySelector<HTMLElement>('#staff-status');
  const alert = document.querySelector<HTMLElement>('#console-error');
  if (!status || !alert) return;
  const say = (message: string) => {
    hideAlert(alert);
    status.textContent = message;
  };
  const refresh = () => refreshRegions(['staff-table'], t);
  const focusRow = (id: string, action: string) =>
    document.querySelector<HTMLElement>(`tr[data-staff-id="${id}"] [data-action="${action}"]`)?.focus();

  const passwordDialog = document.querySelector<HTMLDialogElement>('#password-dialog')!;
  const passwordForm = passwordDialog.querySelector<HTMLFormElement>('form')!;
  const passwordInput = passwordDialog.querySelector<HTMLInputElement>('#new-password')!;
  const passwordAlert = passwordDialog.querySelector<HTMLElement>('#password-error')!;
  let passwordFor: { id: string; name: string } | null = null;

  // Present only when single sign-on is configured.
  const ssoDialog = document.querySelector<HTMLDialogElement>('#sso-dialog');
  const ssoForm = ssoDialog?.querySelector<HTMLFormElement>('form');
  const ssoInput = ssoDialog?.querySelector<HTMLInputElement>('#sso-sub');
  const ssoAlert = ssoDialog?.querySelector<HTMLElement>('#sso-error');
  let ssoFor: { id: string; name: string } | null = null;

  const mfaForm = document.querySelector<HTMLFormElement>('#mfa-form');
  const mfaAlert = document.querySelector<HTMLElement>('#mfa-error');
  mfaForm?.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!mfaAlert || mfaForm.getAttribute('aria-busy') === 'true') return;
    hideAlert(mfaAlert);
    const required = mfaForm.querySelector<HTMLInputElement>('#mfa-required')!.checked;
    setBusy(mfaForm, true, t.saving);
    const result = await callApi('PUT', '/staff/mfa-policy', { required });
    setBusy(mfaForm, false, t.staff.mfaSave);
    if (!result.ok) return showFailure(mfaAlert, result, t);
    say(required ? t.staff.mfaSavedOn : t.staff.mfaSavedOff);
  });

  document.addEventListener('click', async (event) => {
    const button = (event.target as Element | null)?.closest<HTMLButtonElement>('button[data-action]');
    const tr = button?.closest<HTMLElement>('tr[data-staff-id]');
    if (!button || !tr) return;
    const id = tr.dataset.staffId!;
    const name = tr.dataset.name ?? '';
    switch (button.dataset.action) {
      case 'save-role': {
        const role = tr.querySelector<HTMLSelectElement>('[data-role-select]')!.value;
        const result = await callApi('PATCH', `/staff/${id}`, { role });
        if (!result.ok) {
          showFailure(alert, result, t);
          await refresh();
          return;
        }
        await refresh();
        say(t.staff.roleSaved(name, t.roles[role] ?? role));
        focusRow(id, 'save-role');
        break;
      }
      case 'disable':
      case 'enable': {
        const disable = button.dataset.action === 'disable';
        if (disable && !(await confirmAction(t.staff.disableLabel(name), t.staff.disableConfirm(name), t.staff.disableYes))) {
          button.focus();
          return;
        }
        const result = await callApi('POST', `/staff/${id}/${disable ? 'disable' : 'enable'}`);
        await refresh();
        if (!result.ok) return showFailure(alert, result, t);
        say(disable ? t.staff.disabledDone(name) : t.staff.enabledDone(name));
        focusRow(id, disable ? 'enable' : 'disable');
        break;
      }
      case 'sign-out-everywhere': {
        const self = tr.hasAttribute('data-you');
        const [heading, text] = self ? [t.staff.signOutSelfHeading, t.staff.signOutSelfConfirm] : [t.staff.signOutHeading(name), t.staff.signOutConfirm];
        if (!(await confirmAction(heading, text, t.staff.signOutYes))) {
          button.focus();
          return;
        }
        const result = await callApi('POST', `/staff/${id}/revoke-tokens`);
        // This very session ended with the others: nothing more can be done from this page.
        if (result.ok && self) return location.assign('/console/sign-in?reason=signed_out');
        await refresh();
        if (!result.ok) return showFailure(alert, result, t);
        say(t.staff.signedOutDone(name));
        focusRow(id, 'sign-out-everywhere');
        break;
      }
      case 'reset-mfa': {
        if (!(await confirmAction(t.staff.resetMfaHeading(name), t.staff.resetMfaConfirm, t.staff.resetMfa))) {
          button.focus();
          return;
        }
        const result = await callApi('POST', `/staff/${id}/reset-mfa`, {});
        await refresh();
        if (!result.ok) return showFailure(alert, result, t);
        say(t.staff.resetMfaDone(name));
        focusRow(id, 'reset-password');
        break;
      }
      case 'link-sso':
        if (!ssoDialog || !ssoForm || !ssoInput || !ssoAlert) return;
        ssoFor = { id, name };
        ssoDialog.querySelector('#sso-heading')!.textContent = t.staff.ssoHeading(name);
        ssoInput.value = '';
        clearFields(ssoForm);
        hideAlert(ssoAlert);
        ssoDialog.showModal();
        ssoInput.focus();
        break;
      case 'reset-password':
        passwordFor = { id, name };
        passwordDialog.querySelector('#password-heading')!.textContent = t.staff.resetHeading(name);
        passwordInput.value = '';
        hideAlert(passwordAlert);
        passwordDialog.showModal();
        passwordInput.focus();
        break;
    }
  });

  passwordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!passwordFor || passwordForm.getAttribute('aria-busy') === 'true') return;
    if (passwordInput.value.length < 12) {
      showAlert(passwordAlert, t.staff.shortPassword);
      passwordInput.focus();
      return;
    }
    setBusy(passwordForm, true, t.saving);
    const result = await callApi('PUT', `/staff/${passwordFor.id}/password`, { password: passwordInput.value });
    setBusy(passwordForm, false, t.staff.resetPassword);
    if (!result.ok) {
      showFailure(passwordAlert, result, t);
      return;
    }
    const done = passwordFor;
    passwordInput.value = '';
    passwordDialog.close();
    await refresh();
    say(t.staff.resetDone(done.name));
    focusRow(done.id, 'reset-password');
  });
  passwordDialog.addEventListener('close', () => {
    passwordInput.value = '';
  });

  if (ssoDialog && ssoForm && ssoInput && ssoAlert) {
    clearFieldErrorsOnInput(ssoForm);
    ssoForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!ssoFor || ssoForm.getAttribute('aria-busy') === 'true') return;
      clearFields(ssoForm);
      hideAlert(ssoAlert);
      const sub = ssoInput.value.trim();
      if (reportProblems(ssoForm, ssoAlert, SUBJECT.test(sub) ? {} : { sub: t.staff.subjectInvalid }, t)) return;
      setBusy(ssoForm, true, t.saving);
      const result = await callApi('PUT', `/staff/${ssoFor.id}/sso`, { sub });
      setBusy(ssoForm, false, t.staff.linkSso);
      if (!result.ok) {
        showFailure(ssoAlert, result, t);
        if (result.fields.includes('sub')) markFields(ssoForm, { sub: t.staff.subjectInvalid });
        return;
      }
      const done = ssoFor;
      ssoDialog.close();
      await refresh();
      say(t.staff.ssoLinkedDone(done.name));
      focusRow(done.id, 'link-sso');
    });
  }

  const addForm = document.querySelector<HTMLFormElement>('#add-staff-form');
  const addAlert = document.querySelector<HTMLElement>('#add-staff-error');
  if (addForm) clearFieldErrorsOnInput(addForm);
  addForm?.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!addAlert || addForm.getAttribute('aria-busy') === 'true') return;
    clearFields(addForm);
    hideAlert(addAlert);
    const field = (name: string) => addForm.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-field="${name}"]`)!;
    const body: Record<string, string> = { name: field('name').value.trim(), email: field('email').value.trim(), role: field('role').value };
    const password = field('password').value;
    if (password) body.password = password;
    const problems: Record<string, string> = {};
    if (!body.name) problems.name = t.staff.missing.name!;
    if (!body.email) problems.email = t.staff.missing.email!;
    if (password && password.length < 12) problems.password = t.staff.missing.password!;
    if (reportProblems(addForm, addAlert, problems, t)) return;
    setBusy(addForm, true, t.saving);
    const result = await callApi('POST', '/staff', body);
    setBusy(addForm, false, t.staff.addSubmit);
    if (!result.ok) {
      showFailure(addAlert, result, t);
      if (result.code === 'staff_exists') markFields(addForm, { email: t.errors.staff_exists as string });
      else if (result.fields.length) markFields(addForm, Object.fromEntries(result.fields.map((f) => [f, t.staff.missing[f] ?? (t.errors.invalid as string)])));
      return;
    }
    addForm.reset();
    await refresh();
    say(t.staff.added(body.name!));
  });
}
