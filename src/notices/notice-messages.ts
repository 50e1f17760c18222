import { KIND_SPECS } from '../credentials/credential-kinds.js';
import type { EndReason } from '../credentials/credential-states.js';
import type { PendingNotice } from './notice-outbox-store.js';
import type { NoticeKind } from './notice-queue.js';

// The words of each notice. Built only from metadata (kind, label, names, times, the reveal's
// reason) and the receipt link: a notice never carries a secret field.

export interface NoticeMail {
  kind: NoticeKind;
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
}

const ENDED_BECAUSE: Record<EndReason, string> = {
  ticket_closed: 'the ticket was closed',
  expired: 'it reached its end date',
  revoked: 'our support team revoked it',
  withdrawn: 'you withdrew it',
};

/** Header values must stay on one line whatever a label or name holds. */
const oneLine = (text: string) => text.replace(/[\r\n\t\u2028\u2029]+/g, ' ').trim();
const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
const describe = (c: PendingNotice['credential']) => `"${oneLine(c.label)}" (${KIND_SPECS[c.kind].title})`;
const customerOf = (n: PendingNotice) => ({ name: oneLine(n.ticket.customerName ?? ''), address: n.ticket.customerEmail });
const greeting = (name: string) => `Hello${name ? ` ${name}` : ''},`;
const signature = (ctx: NoticeContext) => `-- \n${ctx.vendorName}, through ticketvault (${ctx.publicUrl})`;

function receiptParagraph(ctx: NoticeContext, does: string): string {
  return ctx.receiptUrl
    ? `Your receipt ${does}:\n${ctx.receiptUrl}`
    : 'Open the receipt link you got when you sent it to see its history.';
}

function messageId(ids: number[], createdAt: number, publicUrl: string): string {
  return `<ticketvault-notice-${ids.join('-')}.${createdAt}@${new URL(publicUrl).hostname}>`;
}

/** To the customer: a member of staff revealed one of their credentials. */
export function revealNoticeMail(n: PendingNotice, ctx: NoticeContext): NoticeMail {
  const by = oneLine(n.reveal?.by ?? '') || 'A member of our support team';
  const at = n.reveal?.at ?? n.createdAt;
  const ref = oneLine(n.ticket.externalRef);
  const customer = customerOf(n);
  return {
    kind: 'reveal',
    to: customer,
    subject: `[${ref}] ${by} revealed your credential "${oneLine(n.credential.label)}"`,
    text: [
      greeting(customer.name),
      '',
      `${by} at ${ctx.vendorName} revealed a credential you gave us for ticket ${ref} ("${oneLine(n.ticket.subject)}").`,
      '',
      `  Credential:  ${describe(n.credential)}`,
      `  Revealed by: ${by}`,
      `  When:        ${when(at)}`,
      `  Reason:      ${n.reveal?.reason ?? '(none recorded)'}`,
      '',
      receiptParagraph(ctx, 'lists every reveal and lets you freeze, replace or withdraw the credential, or turn these notices off'),
      '',
      'This message never contains the credential itself.',
      '',
      signature(ctx),
      '',
    ].join('\n'),
    messageId: messageId([n.id], n.createdAt, ctx.publicUrl),
  };
}

/** To the customer: the ciphertext and key of one or more credentials of one receipt were destroyed. */
export function destructionNoticeMail(group: PendingNotice[], ctx: NoticeContext): NoticeMail {
  const first = group[0]!;
  const ref = oneLine(first.ticket.externalRef);
  const customer = customerOf(first);
  const lines = group.map(
    (n) =>
      `  - ${describe(n.credential)}: destroyed ${when(n.credential.purgedAt ?? n.createdAt)}` +
      (n.credential.endedBecause ? ` because ${ENDED_BECAUSE[n.credential.endedBecause]}` : ''),
  );
  return {
    kind: 'destruction',
    to: customer,
    subject:
      group.length === 1
        ? `[${ref}] Your credential "${oneLine(first.credential.label)}" has been destroyed`
        : `[${ref}] ${group.length} of your credentials have been destroyed`,
    text: [
      greeting(customer.name),
      '',
      `This is your destruction receipt for credentials you gave ${ctx.vendorName} for ticket ${ref} ("${oneLine(first.ticket.subject)}").`,
      '',
      ...lines,
      '',
      'Their encrypted contents and keys have been deleted and cannot be recovered by anyone. What remains is the record that they existed and who revealed them.',
      '',
      receiptParagraph(ctx, 'keeps that record'),
      '',
      signature(ctx),
      '',
    ].join('\n'),
    messageId: messageId(group.map((n) => n.id), first.createdAt, ctx.publicUrl),
  };
}

/** To the engineer who created the intake link: the customer sent a credential through it. */
export function submissionNoticeMail(n: PendingNotice, engineer: { email: string; name: string }, ctx: NoticeContext): NoticeMail {
  const ref = oneLine(n.ticket.externalRef);
  const customer = oneLine(n.ticket.customerName ?? '') || n.ticket.customerEmail;
  return {
    kind: 'submission',
    to: { name: oneLine(engineer.name), address: engineer.email },
    subject: `[${ref}] ${customer} sent a credential: "${oneLine(n.credential.label)}"`,
    text: [
      greeting(oneLine(engineer.name)),
      '',
      `${customer} sent a credential through the secure link you created for ticket ${ref} ("${oneLine(n.ticket.subject)}").`,
      '',
      `  Credential: ${describe(n.credential)}`,
      `  Sent:       ${when(n.credential.submittedAt)}`,
      `  Ticket id:  ${n.ticket.id}`,
      `  Credential id: ${n.credential.id}`,
      '',
      'Open the ticket in the staff console to reveal it when you need it; every reveal is audited and the customer is told:',
      `${ctx.publicUrl}/console/tickets/${n.ticket.id}`,
      '',
      signature(ctx),
      '',
    ].join('\n'),
    messageId: messageId([n.id], n.createdAt, ctx.publicUrl),
  };
}
