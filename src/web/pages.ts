import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import { KIND_SPECS, MAX_FIELD_BYTES, isCredentialKind } from '../credentials/credential-kinds.js';
import type { IntakeLinks } from '../intake-links/intake-links.js';
import type { Receipts } from '../receipts/receipts.js';
import { fieldViews } from './credential-fields.js';
import { stringsFor, type Strings } from './strings.js';

// The customer pages as HTML strings: plain values in, markup out. Eta escapes every `<%= %>`;
// templates use `<%~ %>` only for included partials. No page ever holds the token of its link.

const TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/web/templates');

const eta = new Eta({ views: TEMPLATES_DIR, autoEscape: true, cache: true });

export type IntakeLinkDescription = Awaited<ReturnType<IntakeLinks['describeIntakeLink']>>;
export type ReceiptDescription = Awaited<ReturnType<Receipts['viewReceipt']>>;

/** A time shown in UTC on the server; the page script rewrites it into the reader's time zone. */
export interface TimeView {
  iso: string;
  text: string;
}

function timeView(t: Strings, iso: string): TimeView {
  return { iso, text: new Intl.DateTimeFormat(t.locale, { ...t.dateTime, timeZone: 'UTC' }).format(new Date(iso)) };
}

const LIVE = new Set(['active', 'restricted']);

export function renderIntakePage(view: IntakeLinkDescription): string {
  const t = stringsFor();
  return eta.render('./intake', {
    t,
    page: 'intake',
    title: t.intake.title(view.vendorName),
    vendorName: view.vendorName,
    tag: t.secureRequest,
    ticket: view.ticket,
    expiresAt: timeView(t, view.expiresAt),
    credentialsExpireAt: timeView(t, view.credentialsExpireAt),
    publicKey: view.publicKey,
    maxFieldBytes: MAX_FIELD_BYTES,
    kinds: view.kinds.map((spec, i) => ({
      kind: spec.kind,
      title: t.kinds[spec.kind]?.title ?? spec.title,
      description: t.kinds[spec.kind]?.description ?? '',
      checked: i === 0,
      fields: fieldViews(spec, 'intake', t),
    })),
  });
}

export function renderReceiptPage(view: ReceiptDescription, publicKey: string): string {
  const t = stringsFor();
  return eta.render('./receipt', {
    t,
    page: 'receipt',
    title: t.receipt.title(view.vendorName),
    vendorName: view.vendorName,
    tag: t.receiptTag,
    ticket: view.ticket,
    preferences: view.preferences,
    publicKey,
    maxFieldBytes: MAX_FIELD_BYTES,
    credentials: view.credentials.map((c) => ({
      id: c.id,
      label: c.label,
      kindTitle: t.kinds[c.kind]?.title ?? c.kind,
      status: c.status,
      statusBadge: t.status[c.status]?.badge ?? c.status,
      statusText: t.status[c.status]?.text ?? '',
      endedBecause: c.endedBecause ? t.endedBecauseLine(t.endedBecause[c.endedBecause] ?? c.endedBecause) : '',
      live: LIVE.has(c.status),
      restricted: c.status === 'restricted',
      submittedAt: timeView(t, c.submittedAt),
      rectifiedAt: c.rectifiedAt ? timeView(t, c.rectifiedAt) : null,
      expiresAt: timeView(t, c.expiresAt),
      endedAt: c.endedAt ? timeView(t, c.endedAt) : null,
      reveals: c.reveals.map((r) => ({ at: timeView(t, r.at), by: r.by ?? t.receipt.unknownPerson, reason: r.reason ?? t.receipt.noReason })),
      fields: isCredentialKind(c.kind) ? fieldViews(KIND_SPECS[c.kind], `replace-${c.id}`, t) : [],
    })),
  });
}

export type ProblemPageKind = 'intake' | 'receipt';

/** The friendly page for a link that does not exist (404), no longer works (410, by code) or was asked for too often (429). */
export function renderProblemPage(kind: ProblemPageKind, status: number, code: string, vendorName: string): string {
  const t = stringsFor();
  const problem =
    status === 404
      ? kind === 'intake'
        ? t.problems.intakeNotFound
        : t.problems.receiptNotFound
      : status === 410
        ? { ...(t.problems.gone[code] ?? t.problems.goneDefault), text: t.problems.goneText(vendorName) }
        : status === 429
          ? t.problems.tooManyRequests
          : t.problems.error;
  return eta.render('./problem', { t, page: 'problem', title: problem.title, vendorName, tag: kind === 'intake' ? t.secureRequest : t.receiptTag, problem });
}
