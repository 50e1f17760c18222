import { clearProblems, resetFields, setBusy, showAlert, submitSealed } from './credential-form.js';
import { callApi, failureMessage, tokenFromPath } from './customer-api.js';
import { filePicker } from './file-picker.js';
import { pageMessages } from './page-messages.js';
import { sodiumReady } from './sealing.js';

// The intake page: pick a kind, fill its fields, seal them in the browser, post {kind, label, sealed}.

const LABEL_MAX = 200; // submissionSchema's label limit (src/credentials/submitted-fields.ts)

interface Submitted {
  credentialId: string;
  receiptUrl: string;
}

export function startIntakePage(): void {
  const m = pageMessages();
  const form = document.querySelector<HTMLFormElement>('#intake-form');
  const alert = document.querySelector<HTMLElement>('#form-error');
  const labelInput = document.querySelector<HTMLInputElement>('#intake-label');
  const token = tokenFromPath();
  if (!form || !alert || !labelInput || !token) return;
  const publicKey = form.dataset.publicKey ?? '';
  const files = filePicker(form.querySelector<HTMLElement>('[data-file-picker]')!, { publicKey, uploadPath: `/intake/${token}/files`, m });

  const activeFieldset = () => form.querySelector<HTMLFieldSetElement>('fieldset.kind-fields:not([disabled])')!;
  const chosenKind = () => form.querySelector<HTMLInputElement>('input[name="kind"]:checked')?.value ?? '';

  const showKind = () => {
    const kind = chosenKind();
    for (const fieldset of form.querySelectorAll<HTMLFieldSetElement>('fieldset.kind-fields')) {
      const shown = fieldset.dataset.kind === kind;
      fieldset.hidden = !shown;
      fieldset.disabled = !shown;
    }
    clearProblems(form, alert);
  };
  form.addEventListener('change', (event) => {
    if ((event.target as HTMLInputElement).name === 'kind') showKind();
  });
  showKind();

  // One receipt per visit: what is sent after the first submission joins the receipt it got.
  let visitReceipt: string | null = null;

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const kind = chosenKind();
    const label = labelInput.value.trim();
    if (kind === 'file' && files.count() === 0) {
      files.showProblem(m.t('files.required'));
      return;
    }
    void submitSealed({
      form,
      fields: activeFieldset(),
      alert,
      publicKey,
      m,
      idleText: m.t('intake.submit'),
      otherProblems: label.length > LABEL_MAX ? [{ input: labelInput, message: m.t('validation.label') }] : [],
      send: async (sealed) => {
        const fileIds = await files.uploadIds();
        if (fileIds === null) {
          showAlert(alert, m.t('files.notReady'));
          return;
        }
        const body = { kind, ...(label ? { label } : {}), sealed, ...(fileIds.length ? { files: fileIds } : {}), ...(visitReceipt ? { receipt: visitReceipt } : {}) };
        const result = await callApi('POST', `/intake/${token}/credentials`, body);
        if (!result.ok) {
          showAlert(alert, failureMessage(result, m, 'intake'));
          return;
        }
        const { receiptUrl } = result.body as Submitted;
        visitReceipt = receiptUrl.slice(receiptUrl.lastIndexOf('/') + 1);
        addSent(label || m.maybe(`kinds.${kind}.title`) || kind, receiptUrl);
        for (const fieldset of form.querySelectorAll<HTMLFieldSetElement>('fieldset.kind-fields')) resetFields(fieldset);
        labelInput.value = '';
        files.clear();
      },
    });
  });

  function addSent(label: string, receiptUrl: string) {
    const section = document.querySelector<HTMLElement>('#sent')!;
    const list = document.querySelector<HTMLUListElement>('#sent-list')!;
    const existing = list.querySelector<HTMLLIElement>(':scope > li');
    if (existing) {
      // The same receipt: one more line above its link, nothing else to keep.
      const what = existing.querySelector<HTMLParagraphElement>('[data-slot="what"]')!.cloneNode() as HTMLParagraphElement;
      what.textContent = m.t('intake.sentItem', { label });
      existing.querySelector('[data-slot="label"]')!.before(what);
      existing.querySelector<HTMLLabelElement>('[data-slot="label"]')!.textContent = m.t('intake.receiptLabelAll');
      what.focus();
      return;
    }
    const template = document.querySelector<HTMLTemplateElement>('#sent-item')!;
    const item = template.content.firstElementChild!.cloneNode(true) as HTMLLIElement;
    const n = list.children.length + 1;
    const slot = <E extends HTMLElement>(name: string) => item.querySelector<E>(`[data-slot="${name}"]`)!;
    const what = slot<HTMLParagraphElement>('what');
    what.textContent = m.t('intake.sentItem', { label });
    what.tabIndex = -1;
    const urlInput = slot<HTMLInputElement>('url');
    urlInput.id = `receipt-url-${n}`;
    urlInput.value = receiptUrl;
    const hint = slot<HTMLElement>('hint');
    hint.id = `receipt-url-${n}-hint`;
    urlInput.setAttribute('aria-describedby', hint.id);
    const urlLabel = slot<HTMLLabelElement>('label');
    urlLabel.htmlFor = urlInput.id;
    urlLabel.textContent = m.t('intake.receiptLabel', { label });
    const status = slot<HTMLElement>('status');
    item.querySelector<HTMLButtonElement>('[data-copy]')!.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(urlInput.value);
        status.textContent = m.t('intake.copied');
      } catch {
        urlInput.select();
        status.textContent = m.t('intake.copyFailed');
      }
    });
    list.prepend(item);
    section.hidden = false;
    what.focus();
  }

  // The submit button stays disabled until libsodium's WebAssembly is ready to seal.
  sodiumReady().then(
    () => setBusy(form, false, m.t('intake.submit')),
    () => showAlert(alert, m.t('errors.generic'), false),
  );
}
