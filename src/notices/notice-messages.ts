import { KIND_SPECS } from '../credentials/credential-kinds.js';
import { messagesFor } from '../languages/catalogues.js';
import { formatDateTime } from '../languages/date-times.js';
import type { Language } from '../languages/languages.js';
import type { Messages } from '../languages/messages.js';
import type { PortalMailKind } from '../portal/portal-mails-store.js';
import type { PendingNotice } from './notice-outbox-store.js';
import type { NoticeKind } from './notice-queue.js';

// The words of each notice. Built only from metadata (kind, label, names, times, the reveal's
// reason) and the receipt link: a notice never carries a secret field. The customer's notices are
// in the language kept with their receipt (DESIGN "Languages"); the engineer's are in English, as
// the console is.

export interface NoticeMail {
  kind: NoticeKind | PortalMailKind;
  to: { name: string; address: string };
  subject: string;
  text: string;
  /** Stable per outbox row, so a notice re-sent after a crash is recognisably the same message. */
  messageId: string;
}

export interface NoticeContext {
  vendorName: string;
  publicUrl: string;
  /** The customer's receipt link, or null when its token could not be unwrapped. */
  receiptUrl: string | null;
  /** The customer's language. */
  language: Language;
}

/** Header values must stay on one line whatever a label or name holds. */
const oneLine = (text: string) => text.replace(/[\r\n\t\u2028\u2029]+/g, ' ').trim();
const when = (m: Messages, ms: number) => formatDateTime(m.locale, ms, 'UTC');
const customerOf = (n: PendingNotice) => ({ name: oneLine(n.ticket.customerName ?? ''), address: n.ticket.customerEmail });
const greeting = (m: Messages, name: string) => (name ? m.t('mail.greeting', { name }) : m.t('mail.greetingNoName'));
const signature = (m: Messages, ctx: NoticeContext) => `-- \n${m.t('mail.signature', { vendor: ctx.vendorName, url: ctx.publicUrl })}`;
const describe = (m: Messages, c: PendingNotice['credential']) =>
  m.t('mail.credential', { label: oneLine(c.label), kind: m.maybe(`mail.kinds.${c.kind}`) ?? KIND_SPECS[c.kind].title });

/** The receipt link after what it offers, or where to find it when this copy of the mail must not carry it. */
const receiptParagraph = (m: Messages, ctx: NoticeContext, offers: string) => (ctx.receiptUrl ? `${offers}\n${ctx.receiptUrl}` : m.t('mail.noReceiptLink'));

/** "Label: value" lines, the values aligned after the longest label. */
function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`);
}

function messageId(ids: number[], createdAt: number, publicUrl: string): string {
  return `<ticketvault-notice-${ids.join('-')}.${createdAt}@${new URL(publicUrl).hostname}>`;
}

/** To the customer: a member of staff revealed one of their credentials. */
export function revealNoticeMail(n: PendingNotice, ctx: NoticeContext): NoticeMail {
  const m = messagesFor(ctx.language);
  const by = oneLine(n.reveal?.by ?? '') || m.t('mail.reveal.someone');
  const at = n.reveal?.at ?? n.createdAt;
  const ref = oneLine(n.ticket.externalRef);
  const customer = customerOf(n);
  return {
    kind: 'reveal',
    to: customer,
    subject: m.t('mail.reveal.subject', { ref, by, label: oneLine(n.credential.label) }),
    text: [
      greeting(m, customer.name),
      '',
      m.t('mail.reveal.intro', { by, vendor: ctx.vendorName, ref, subject: oneLine(n.ticket.subject) }),
      '',
      ...table([
        [m.t('mail.reveal.credential'), describe(m, n.credential)],
        [m.t('mail.reveal.by'), by],
        [m.t('mail.reveal.when'), when(m, at)],
        [m.t('mail.reveal.reason'), n.reveal?.reason ?? m.t('mail.reveal.noReason')],
      ]),
      '',
      receiptParagraph(m, ctx, m.t('mail.reveal.receipt')),
      '',
      m.t('mail.reveal.neverSecret'),
      '',
      signature(m, ctx),
      '',
    ].join('\n'),
    messageId: messageId([n.id], n.createdAt, ctx.publicUrl),
  };
}

/** To the customer: the ciphertext and key of one or more credentials of one receipt were destroyed. */
export function destructionNoticeMail(group: PendingNotice[], ctx: NoticeContext): NoticeMail {
  const m = messagesFor(ctx.language);
  const first = group[0]!;
  const ref = oneLine(first.ticket.externalRef);
  const customer = customerOf(first);
  const lines = group.map((n) => {
    const item = { credential: describe(m, n.credential), when: when(m, n.credential.purgedAt ?? n.createdAt) };
    const why = n.credential.endedBecause && m.maybe(`mail.endedBecause.${n.credential.endedBecause}`);
    return `  - ${why ? m.t('mail.destruction.itemBecause', { ...item, why }) : m.t('mail.destruction.item', item)}`;
  });
  return {
    kind: 'destruction',
    to: customer,
    subject: m.t('mail.destruction.subject', { ref, count: group.length, label: oneLine(first.credential.label) }),
    text: [
      greeting(m, customer.name),
      '',
      m.t('mail.destruction.intro', { vendor: ctx.vendorName, ref, subject: oneLine(first.ticket.subject) }),
      '',
      ...lines,
      '',
      m.t('mail.destruction.gone'),
      '',
      receiptParagraph(m, ctx, m.t('mail.destruction.receipt')),
      '',
      signature(m, ctx),
      '',
    ].join('\n'),
    messageId: messageId(group.map((n) => n.id), first.createdAt, ctx.publicUrl),
  };
}

/** To the engineer who created the intake link: the customer sent a credential through it. */
export function submissionNoticeMail(n: PendingNotice, engineer: { email: string; name: string }, ctx: NoticeContext): NoticeMail {
  const m = messagesFor('en');
  const ref = oneLine(n.ticket.externalRef);
  const customer = oneLine(n.ticket.customerName ?? '') || n.ticket.customerEmail;
  return {
    kind: 'submission',
    to: { name: oneLine(engineer.name), address: engineer.email },
    subject: `[${ref}] ${customer} sent a credential: "${oneLine(n.credential.label)}"`,
    text: [
      greeting(m, oneLine(engineer.name)),
      '',
      `${customer} sent a credential through the secure link you created for ticket ${ref} ("${oneLine(n.ticket.subject)}").`,
      '',
      `  Credential: ${describe(m, n.credential)}`,
      `  Sent:       ${when(m, n.credential.submittedAt)}`,
      `  Ticket id:  ${n.ticket.id}`,
      `  Credential id: ${n.credential.id}`,
      '',
      'Open the ticket in the staff console to reveal it when you need it; every reveal is audited and the customer is told:',
      `${ctx.publicUrl}/console/tickets/${n.ticket.id}`,
      '',
      signature(m, ctx),
      '',
    ].join('\n'),
    messageId: messageId([n.id], n.createdAt, ctx.publicUrl),
  };
}
