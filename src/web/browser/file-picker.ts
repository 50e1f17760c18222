import { formatFileSize } from '../../languages/file-sizes.js';
import type { Messages } from '../../languages/messages.js';
import { uploadEncrypted } from './customer-api.js';
import { sealFile } from './sealing.js';

// DESIGN "Attachments" on the customer pages: files picked or dropped are encrypted here, one at a
// time, and uploaded at once (each its own request, with progress); a submission then names the
// upload ids. A removed file's upload is simply never named: the server destroys it within the hour.

export interface FilePicker {
  /** How many files are listed (being uploaded, uploaded, or failed). */
  count(): number;
  /** Waits for every listed file; their upload ids in order, or null when one of them failed. */
  uploadIds(): Promise<string[] | null>;
  showProblem(message: string): void;
  clear(): void;
}

interface Picked {
  done: Promise<string | null>;
  removed: boolean;
}

const pickers = new WeakMap<HTMLElement, FilePicker>();

/** The picker of a `[data-file-picker]` fieldset (src/web/templates/file-picker.eta), wired once. */
export function filePicker(root: HTMLElement, options: { publicKey: string; uploadPath: string; m: Messages }): FilePicker {
  const existing = pickers.get(root);
  if (existing) return existing;
  const { m } = options;
  const maxFiles = Number(root.dataset.maxFiles);
  const maxBytes = Number(root.dataset.maxBytes);
  const input = root.querySelector<HTMLInputElement>('[data-file-input]')!;
  const choose = root.querySelector<HTMLButtonElement>('[data-choose]')!;
  const zone = root.querySelector<HTMLElement>('[data-dropzone]')!;
  const list = root.querySelector<HTMLUListElement>('[data-file-list]')!;
  const error = root.querySelector<HTMLElement>('[data-files-error]')!;
  const size = (bytes: number) => formatFileSize(bytes, m.locale);
  const picked = new Map<HTMLLIElement, Picked>();
  let queue: Promise<unknown> = Promise.resolve();

  const showProblem = (message: string) => {
    error.textContent = message;
    error.hidden = false;
    choose.focus();
  };
  const clearProblem = () => {
    error.textContent = '';
    error.hidden = true;
  };

  function add(files: File[]) {
    clearProblem();
    for (const file of files) {
      if (picked.size >= maxFiles) {
        showProblem(m.t('files.tooMany', { maxFiles }));
        return;
      }
      if (file.size > maxBytes) {
        showProblem(m.t('files.tooLarge', { name: file.name, maxSize: size(maxBytes) }));
        continue;
      }
      const item = document.createElement('li');
      item.className = 'file-item';
      const name = document.createElement('span');
      name.className = 'file-item__name';
      name.textContent = file.name;
      const bytes = document.createElement('span');
      bytes.className = 'file-item__size';
      bytes.textContent = size(file.size);
      const progress = document.createElement('progress');
      progress.className = 'file-item__progress';
      progress.max = 1;
      progress.value = 0;
      progress.setAttribute('aria-label', m.t('files.progressLabel', { name: file.name }));
      const state = document.createElement('span');
      state.className = 'file-item__state';
      state.textContent = m.t('files.encrypting');
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'button button--quiet file-item__remove';
      remove.textContent = m.t('files.remove');
      remove.setAttribute('aria-label', m.t('files.removeLabel', { name: file.name }));
      item.append(name, bytes, progress, state, remove);
      list.append(item);

      const entry: Picked = { removed: false, done: Promise.resolve(null) };
      // One file at a time: a phone holds one file's ciphertext in memory, not five.
      const run = async (): Promise<string | null> => {
        if (entry.removed) return null;
        try {
          const sealed = await sealFile(file, options.publicKey, (f) => (progress.value = f / 2));
          if (entry.removed) return null;
          state.textContent = m.t('files.uploading');
          const result = await uploadEncrypted(options.uploadPath, sealed, (f) => (progress.value = 0.5 + f / 2));
          if (!result.ok) throw new Error(result.code);
          progress.value = 1;
          state.textContent = m.t('files.ready');
          item.dataset.state = 'ready';
          return (result.body as { id: string }).id;
        } catch {
          state.textContent = m.t('files.failed');
          item.dataset.state = 'failed';
          return null;
        }
      };
      entry.done = queue.then(run);
      queue = entry.done;
      picked.set(item, entry);
      remove.addEventListener('click', () => {
        entry.removed = true;
        picked.delete(item);
        item.remove();
        clearProblem();
        choose.focus();
      });
    }
  }

  choose.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    add([...(input.files ?? [])]);
    input.value = '';
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dropzone--over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dropzone--over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dropzone--over');
    add([...(event.dataTransfer?.files ?? [])]);
  });

  const picker: FilePicker = {
    count: () => picked.size,
    async uploadIds() {
      const ids = await Promise.all([...picked.values()].map((p) => p.done));
      return ids.every((id): id is string => id !== null) ? ids : null;
    },
    showProblem,
    clear() {
      picked.clear();
      list.replaceChildren();
      clearProblem();
    },
  };
  pickers.set(root, picker);
  return picker;
}
