import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import { KIND_SPECS, MAX_FIELD_BYTES, isCredentialKind } from '../credentials/credential-kinds.js';
import type { IntakeLinks } from '../intake-links/intake-links.js';
import { messagesFor, pageCatalogue } from '../languages/catalogues.js';
import { formatDateTime } from '../languages/date-times.js';
import { formatFileSize } from '../languages/file-sizes.js';
import { LANGUAGE_NAMES, LANGUAGES, type Language } from '../languages/languages.js';
import { splitAround, type Messages } from '../languages/messages.js';
import type { ReceiptCredential, Receipts } from '../receipts/receipts.js';
import { fieldViews } from './credential-fields.js';

// The customer pages as HTML strings: plain values in, markup out. Eta escapes every `<%= %>`;
// templates use `<%~ %>` only for included partials and the page's catalogue (JSON made safe for
// a <script> data block). No page ever holds the token of its link.

const TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/web/templates');

export const eta = new Eta({ views: TEMPLATES_DIR, autoEscape: true, cache: true });

export type IntakeLinkDescription = Awaited<ReturnType<IntakeLinks['describeIntakeLink']>>;
export type ReceiptDescription = Awaited<ReturnType<Receipts['viewReceipt']>>;

/** A time shown in UTC on the server; the page script rewrites it into the reader's time zone. */
export interface TimeView {
  iso: string;
  text: string;
}

export const timeView = (m: Messages, iso: string): TimeView => ({ iso, text: formatDateTime(m.locale, iso, 'UTC') });

const LIVE = new Set(['active', 'restricted']);

/** `<` escaped, so no string in the catalogue can close the data block it travels in. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** What every page shares: its language, the switcher, and (for pages with a script) the catalogue the script reads. */
export function frame(language: Language, page: 'intake' | 'receipt' | 'problem' | 'portal') {
  const m = messagesFor(language);
  return {
    m,
    t: m.t,
    page,
    lang: language,
    languages: LANGUAGES.map((code) => ({ code, name: LANGUAGE_NAMES[code], current: code === language })),
    catalogueJson: page === 'problem' ? null : scriptJson({ language, messages: pageCatalogue(language) }),
  };
}

export function renderIntakePage(view: IntakeLinkDescription, language: Language): string {
  const f = frame(language, 'intake');
  const { m } = f;
  return eta.render('./intake', {
    ...f,
    title: m.t('intake.title', { vendor: view.vendorName }),
    vendorName: view.vendorName,
    tag: m.t('secureRequest'),
    ticket: view.ticket,
    expiresAt: timeView(m, view.expiresAt),
    credentialsExpireAt: timeView(m, view.credentialsExpireAt),
    destroyedWhen: splitAround(m, 'intake.destroyedWhen', 'date'),
    publicKey: view.publicKey,
    maxFieldBytes: MAX_FIELD_BYTES,
    picker: pickerView('intake-files', 'intake', view.attachments, m.t('files.hint', { maxFiles: view.attachments.maxFiles, maxSize: formatFileSize(view.attachments.maxBytes, m.locale) })),
    kinds: view.kinds.map((spec, i) => ({
      kind: spec.kind,
      title: m.maybe(`kinds.${spec.kind}.title`) ?? spec.title,
      description: m.maybe(`kinds.${spec.kind}.description`) ?? '',
      checked: i === 0,
      fields: fieldViews(spec, 'intake', m),
    })),
  });
}

/** The file picker's view (src/web/templates/file-picker.eta); its script is src/web/browser/file-picker.ts. */
function pickerView(id: string, scope: 'intake' | 'receipt', limits: { maxFiles: number; maxBytes: number }, hint: string) {
  return { id, scope, hint, maxFiles: limits.maxFiles, maxBytes: limits.maxBytes };
}

export function renderReceiptPage(view: ReceiptDescription, publicKey: string, language: Language, attachments: { maxFiles: number; maxBytes: number }): string {
  const f = frame(language, 'receipt');
  const { m } = f;
  return eta.render('./receipt', {
    ...f,
    title: m.t('receipt.title', { vendor: view.vendorName }),
    vendorName: view.vendorName,
    tag: m.t('receiptTag'),
    ticket: view.ticket,
    preferences: view.preferences,
    publicKey,
    maxFieldBytes: MAX_FIELD_BYTES,
    credentials: view.credentials.map((c) => ({
      ...receiptCredentialView(m, c),
      picker: pickerView(`replace-${c.id}-files`, 'receipt', attachments, `${m.t('files.hint', { maxFiles: attachments.maxFiles, maxSize: formatFileSize(attachments.maxBytes, m.locale) })} ${m.t('files.replaceHint')}`),
    })),
  });
}

/** One credential as the receipt and the portal show it: metadata, status in words, reveals. */
export function receiptCredentialView(m: Messages, c: ReceiptCredential) {
  return {
    id: c.id,
    label: c.label,
    kindTitle: m.maybe(`kinds.${c.kind}.title`) ?? c.kind,
    status: c.status,
    statusBadge: m.maybe(`status.${c.status}.badge`) ?? c.status,
    statusText: m.maybe(`status.${c.status}.text`) ?? '',
    endedBecause: c.endedBecause ? (m.maybe(`endedBecause.${c.endedBecause}`) ?? '') : '',
    live: LIVE.has(c.status),
    restricted: c.status === 'restricted',
    submittedAt: timeView(m, c.submittedAt),
    rectifiedAt: c.rectifiedAt ? timeView(m, c.rectifiedAt) : null,
    expiresAt: timeView(m, c.expiresAt),
    endedAt: c.endedAt ? timeView(m, c.endedAt) : null,
    revealCount: m.t('receipt.revealCount', { count: c.reveals.length }),
    reveals: c.reveals.map((r) => ({ at: timeView(m, r.at), by: r.by ?? m.t('receipt.unknownPerson'), reason: r.reason ?? '—' })),
    fields: isCredentialKind(c.kind) ? fieldViews(KIND_SPECS[c.kind], `replace-${c.id}`, m) : [],
    files: c.files.map((f) => ({ name: f.name, size: formatFileSize(f.size, m.locale) })),
  };
}

export type ProblemPageKind = 'intake' | 'receipt';

/** The friendly page for a link that does not exist (404), no longer works (410, by code) or was asked for too often (429). */
export function renderProblemPage(kind: ProblemPageKind, status: number, code: string, vendorName: string, language: Language): string {
  const f = frame(language, 'problem');
  const { m } = f;
  const problem =
    status === 404
      ? kind === 'intake'
        ? { title: m.t('problems.intakeNotFound.title'), heading: m.t('problems.intakeNotFound.heading'), text: m.t('problems.intakeNotFound.text') }
        : { title: m.t('problems.receiptNotFound.title'), heading: m.t('problems.receiptNotFound.heading'), text: m.t('problems.receiptNotFound.text') }
      : status === 410
        ? {
            title: m.maybe(`problems.gone.${code}.title`) ?? m.t('problems.gone.default.title'),
            heading: m.maybe(`problems.gone.${code}.heading`) ?? m.t('problems.gone.default.heading'),
            text: m.t('problems.gone.text', { vendor: vendorName }),
          }
        : status === 429
          ? { title: m.t('problems.tooManyRequests.title'), heading: m.t('problems.tooManyRequests.heading'), text: m.t('problems.tooManyRequests.text') }
          : { title: m.t('problems.error.title'), heading: m.t('problems.error.title'), text: m.t('problems.error.text') };
  return eta.render('./problem', { ...f, title: problem.title, vendorName, tag: kind === 'intake' ? m.t('secureRequest') : m.t('receiptTag'), problem });
}
