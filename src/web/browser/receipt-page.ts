import { clearProblems, resetFields, showAlert, submitSealed } from './credential-form.js';
import { callApi, failureMessage, pageLanguageHeader, tokenFromPath, type ApiResult } from './customer-api.js';
import { filePicker } from './file-picker.js';
import { showLocalTimes } from './local-times.js';
import { pageMessages } from './page-messages.js';

// The receipt page: restrict / lift, replace (sealed like intake), withdraw after a confirm step,
// export, and the reveal-notice preference. After each change the server-rendered list is fetched
// again and swapped in, so there is one rendering of a credential (src/web/templates/credential.eta).

type Action = 'restrict' | 'unrestrict' | 'rectify' | 'withdraw';

export function startReceiptPage(): void {
  const m = pageMessages();
  const token = tokenFromPath();
  const status = document.querySelector<HTMLElement>('#receipt-status');
  const alert = document.querySelector<HTMLElement>('#receipt-error');
  const main = document.querySelector<HTMLElement>('main');
  if (!token || !status || !alert || !main) return;
  const base = `/receipts/${token}`;
  const list = () => document.querySelector<HTMLElement>('#credentials')!;
  const publicKey = list().dataset.publicKey ?? '';
  const pickerOf = (form: HTMLElement) => filePicker(form.querySelector<HTMLElement>('[data-file-picker]')!, { publicKey, uploadPath: `${base}/files`, m });
  // Pickers are wired when their list is on the page (again after each refresh swaps it in).
  const wirePickers = (root: ParentNode) => root.querySelectorAll<HTMLElement>('form[data-panel="rectify"]').forEach(pickerOf);
  wirePickers(document);

  const say = (message: string) => {
    alert.hidden = true;
    status.textContent = message;
  };
  const fail = (result: ApiResult) => {
    status.textContent = '';
    showAlert(alert, failureMessage(result, m, 'receipt'));
  };

  const card = (el: Element) => el.closest<HTMLElement>('[data-credential-id]');
  const panel = (article: HTMLElement, name: string) => article.querySelector<HTMLElement>(`[data-panel="${name}"]`)!;
  const button = (article: HTMLElement, action: string) => article.querySelector<HTMLButtonElement>(`[data-action="${action}"]`);

  /** Fetches this page again and swaps in the credential list, then focuses what the change left in view. */
  async function refresh(credentialId: string, focusAction: string | null): Promise<void> {
    let fresh: HTMLElement | null = null;
    try {
      const response = await fetch(location.pathname, { cache: 'no-store', credentials: 'omit', headers: { Accept: 'text/html', ...pageLanguageHeader() } });
      if (response.ok) fresh = new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('#credentials');
    } catch {
      // The change itself succeeded; a failed refresh leaves the old list until the next load.
    }
    if (!fresh) return;
    const adopted = document.importNode(fresh, true);
    list().replaceWith(adopted);
    showLocalTimes(adopted);
    wirePickers(adopted);
    const article = adopted.querySelector<HTMLElement>(`[data-credential-id="${CSS.escape(credentialId)}"]`);
    const target = (focusAction && article && button(article, focusAction)) || article?.querySelector<HTMLElement>('[data-focus="title"]');
    target?.focus();
  }

  async function change(article: HTMLElement, action: Action, call: () => Promise<ApiResult>, focusAfter: string | null) {
    const id = article.dataset.credentialId!;
    const label = article.dataset.label ?? '';
    const result = await call();
    if (!result.ok) {
      fail(result);
      await refresh(id, null);
      return;
    }
    await refresh(id, focusAfter);
    say(m.t(`receipt.done.${action}`, { label }));
  }

  const openPanel = (article: HTMLElement, name: 'rectify' | 'withdraw', open: boolean) => {
    const p = panel(article, name);
    p.hidden = !open;
    button(article, name)?.setAttribute('aria-expanded', String(open));
    if (name === 'rectify' && !open) {
      resetFields(p);
      clearProblems(p, p.querySelector<HTMLElement>('[data-form-error]')!);
    }
    if (open) (name === 'rectify' ? p.querySelector<HTMLElement>('h3') : button(article, 'withdraw-confirm'))?.focus();
    else button(article, name)?.focus();
  };

  main.addEventListener('click', (event) => {
    const target = (event.target as Element | null)?.closest<HTMLButtonElement>('button[data-action]');
    const article = target && card(target);
    if (!target || !article) return;
    const id = article.dataset.credentialId!;
    switch (target.dataset.action) {
      case 'restrict':
        void change(article, 'restrict', () => callApi('POST', `${base}/credentials/${id}/restrict`), 'unrestrict');
        break;
      case 'unrestrict':
        void change(article, 'unrestrict', () => callApi('POST', `${base}/credentials/${id}/unrestrict`), 'restrict');
        break;
      case 'rectify':
        openPanel(article, 'rectify', panel(article, 'rectify').hidden);
        break;
      case 'rectify-cancel':
        openPanel(article, 'rectify', false);
        break;
      case 'withdraw':
        openPanel(article, 'withdraw', panel(article, 'withdraw').hidden);
        break;
      case 'withdraw-cancel':
        openPanel(article, 'withdraw', false);
        break;
      case 'withdraw-confirm':
        target.disabled = true;
        void change(article, 'withdraw', () => callApi('DELETE', `${base}/credentials/${id}`), null);
        break;
    }
  });

  main.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const open = (event.target as Element | null)?.closest<HTMLElement>('[data-panel]:not([hidden])');
    const article = open && card(open);
    if (open && article) openPanel(article, open.dataset.panel as 'rectify' | 'withdraw', false);
  });

  main.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    const article = card(form);
    if (form.dataset.panel !== 'rectify' || !article) return;
    event.preventDefault();
    const id = article.dataset.credentialId!;
    void submitSealed({
      form,
      fields: form,
      alert: form.querySelector<HTMLElement>('[data-form-error]')!,
      publicKey,
      m,
      idleText: m.t('receipt.rectifySubmit'),
      send: async (sealed) => {
        const fileIds = await pickerOf(form).uploadIds();
        if (fileIds === null) {
          showAlert(form.querySelector<HTMLElement>('[data-form-error]')!, m.t('files.notReady'));
          return;
        }
        await change(article, 'rectify', () => callApi('PUT', `${base}/credentials/${id}`, { sealed, ...(fileIds.length ? { files: fileIds } : {}) }), 'rectify');
      },
    });
  });

  const notify = document.querySelector<HTMLInputElement>('#notify-on-reveal');
  notify?.addEventListener('change', async () => {
    const wanted = notify.checked;
    const result = await callApi('PUT', `${base}/preferences`, { notifyOnReveal: wanted });
    if (!result.ok) {
      notify.checked = !wanted;
      fail(result);
      return;
    }
    say(wanted ? m.t('receipt.done.notifyOn') : m.t('receipt.done.notifyOff'));
  });

  document.querySelector<HTMLButtonElement>('#export')?.addEventListener('click', async () => {
    const result = await callApi('GET', `${base}/export`);
    if (!result.ok || !result.response) {
      fail(result);
      return;
    }
    const name = /filename="([^"]+)"/.exec(result.response.headers.get('Content-Disposition') ?? '')?.[1] ?? 'ticketvault-export.json';
    const url = URL.createObjectURL(new Blob([JSON.stringify(result.body, null, 2)], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    say(m.t('receipt.done.exported'));
  });
}
