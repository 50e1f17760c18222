import { KeyringError } from '../crypto/keyring.js';
import { messagesFor } from '../languages/catalogues.js';
import { formatDateTime } from '../languages/date-times.js';
import type { Language } from '../languages/languages.js';
import type { Messages } from '../languages/messages.js';
import { PermanentMailError } from '../notices/mail-transports.js';
import type { NoticeMail } from '../notices/notice-messages.js';
import { KEEP_DELIVERED_MS, KEEP_FAILED_MS, LEASE_MS, MAX_ATTEMPTS, RETRY_FIRST_MS, retryDelay, type NoticeDeps } from '../notices/notices.js';
import { mailLinkContext } from './portal-mail-links.js';
import type { PortalMail } from './portal-mails-store.js';
import { onePassAtATime } from '../passes.js';

// The portal's e-mails, sent by the notice timer like the notices (at least once, claimed per row,
// retried with backoff). A sign-in or approval link is unwrapped only to be sent; the copy in the
// row is dropped once it went. A `.eml` copy never carries a link (DESIGN "Development mode").

/** What the notices' sender needs, the same for the portal's mails. */
export type PortalMailDeps = Omit<NoticeDeps, 'batchSize'>;

const oneLine = (text: string) => text.replace(/[\r\n\t\u2028\u2029]+/g, ' ').trim();

function linkPath(kind: PortalMail['kind']): string {
  return kind === 'sign_in' ? '/portal/sign-in/' : '/portal/approvals/';
}

/** The e-mail for one row; `link` is the full address, or null when this copy must not carry it. */
export function composePortalMail(mail: PortalMail, link: string | null, ctx: { vendorName: string; publicUrl: string; language: Language }): NoticeMail {
  const m: Messages = messagesFor(mail.kind === 'approval_decided' ? 'en' : ctx.language);
  const f = mail.facts;
  const when = (ms: number) => formatDateTime(m.locale, ms, 'UTC');
  const greeting = mail.to.name ? m.t('mail.greeting', { name: oneLine(mail.to.name) }) : m.t('mail.greetingNoName');
  const signature = `-- \n${m.t('mail.signature', { vendor: ctx.vendorName, url: ctx.publicUrl })}`;
  const linkLines = (offer: string) => (link ? [offer, link] : [m.t('mail.portal.noLink')]);
  const base = { kind: mail.kind, to: { name: oneLine(mail.to.name ?? ''), address: mail.to.address }, messageId: `<ticketvault-notice-portal-${mail.id}.${mail.at}@${new URL(ctx.publicUrl).hostname}>` };
  const ref = oneLine(f.externalRef ?? '');
  const label = oneLine(f.label ?? '');
  if (mail.kind === 'sign_in') {
    return {
      ...base,
      subject: m.t('mail.portal.signIn.subject', { vendor: ctx.vendorName }),
      text: [
        greeting,
        '',
        m.t('mail.portal.signIn.intro', { vendor: ctx.vendorName }),
        '',
        ...linkLines(m.t('mail.portal.signIn.link', { until: when(f.linkExpiresAt!) })),
        '',
        m.t('mail.portal.signIn.notYou'),
        '',
        signature,
        '',
      ].join('\n'),
    };
  }
  if (mail.kind === 'approval_request') {
    const engineer = oneLine(f.engineer ?? '');
    return {
      ...base,
      subject: m.t('mail.portal.approval.subject', { ref, engineer, label }),
      text: [
        greeting,
        '',
        m.t('mail.portal.approval.intro', { engineer, vendor: ctx.vendorName, label, ref, subject: oneLine(f.subject ?? '') }),
        '',
        `  ${m.t('mail.reveal.reason')}: ${oneLine(f.reason ?? '')}`,
        '',
        ...linkLines(m.t('mail.portal.approval.link', { until: when(f.linkExpiresAt!) })),
        '',
        m.t('mail.portal.approval.hour', { engineer }),
        '',
        signature,
        '',
      ].join('\n'),
    };
  }
  const approved = f.decision === 'approved';
  const customer = oneLine(f.customer ?? '');
  return {
    ...base,
    subject: `[${ref}] ${customer} ${approved ? 'approved' : 'refused'} your request to reveal "${label}"`,
    text: [
      greeting,
      '',
      approved
        ? `${customer} approved your request to reveal "${label}" on ticket ${ref}. You can reveal it until ${when(f.until!)}.`
        : `${customer} refused your request to reveal "${label}" on ticket ${ref}. Your next reveal of it is refused; the one after asks them again.`,
      '',
      `${ctx.publicUrl}/console/tickets/${f.ticketId ?? ''}`,
      '',
      signature,
      '',
    ].join('\n'),
  };
}

export function createPortalMails(deps: PortalMailDeps) {
  const { storage, keyring, transport, clock, log, metrics } = deps;

  function linkOf(mail: PortalMail): string | null {
    if (!mail.link || !transport.carriesReceiptLinks) return null;
    try {
      const token = Buffer.from(keyring.unwrap(mail.link.kekId, mail.link.wrapped, mailLinkContext(mail.kind, mail.to.address))).toString('utf8');
      return `${deps.publicUrl}${linkPath(mail.kind)}${token}`;
    } catch (error) {
      if (!(error instanceof KeyringError)) throw error;
      log.warn({ mail: mail.id }, 'portal mail sent without its link: it does not unwrap under the configured master keys');
      return null;
    }
  }

  async function send(mail: PortalMail, stopping: AbortSignal): Promise<'ok' | 'transport_down' | 'stopped'> {
    const composed = composePortalMail(mail, linkOf(mail), { vendorName: deps.vendorName, publicUrl: deps.publicUrl, language: mail.language ?? deps.defaultLanguage });
    const attempt = mail.attempts + 1;
    if (stopping.aborted) return 'stopped';
    try {
      await transport.send(composed, stopping);
    } catch (error) {
      // Cut short by the vault's stop: not an attempt that failed.
      if (stopping.aborted) return 'stopped';
      const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 300);
      if (error instanceof PermanentMailError || attempt >= MAX_ATTEMPTS) {
        await storage.write((s) => s.portalMails.markFailed(mail.id, clock.now(), message));
        metrics.noticesSent.inc({ kind: mail.kind, result: 'failed' });
        log.error({ mail: mail.id, kind: mail.kind, attempt, error: message }, 'portal mail given up');
        return 'ok';
      }
      await storage.write((s) => s.portalMails.scheduleRetry(mail.id, clock.now() + retryDelay(attempt), message));
      metrics.noticesSent.inc({ kind: mail.kind, result: 'retry' });
      log.warn({ mail: mail.id, kind: mail.kind, attempt, error: message }, 'portal mail not delivered; will retry');
      return typeof (error as { responseCode?: unknown }).responseCode === 'number' ? 'ok' : 'transport_down';
    }
    await storage.write((s) => s.portalMails.markSent(mail.id, clock.now()));
    metrics.noticesSent.inc({ kind: mail.kind, result: 'sent' });
    log.info({ mail: mail.id, kind: mail.kind, transport: transport.kind }, 'portal mail sent');
    return 'ok';
  }

  async function runPass(stopping: AbortSignal): Promise<number> {
    if (stopping.aborted) return 0;
    const claimed = await storage.write(async (s) => {
      const now = clock.now();
      await s.portalMails.prune(now - KEEP_DELIVERED_MS, now - KEEP_FAILED_MS);
      const rows = await s.portalMails.listDue(now, 50);
      await s.portalMails.postpone(rows.map((r) => r.id), now + LEASE_MS);
      return rows;
    });
    for (let i = 0; i < claimed.length; i++) {
      const outcome = await send(claimed[i]!, stopping);
      if (outcome === 'stopped') {
        // The vault is stopping: this mail and the rest lose their lease, uncounted, and go out at the next pass.
        const rest = claimed.slice(i).map((r) => r.id);
        await storage.write((s) => s.portalMails.postpone(rest, clock.now()));
        log.info({ mails: rest.length }, 'portal mail sending cut short by shutdown; sent at the next pass');
        break;
      }
      if (outcome === 'transport_down') {
        const rest = claimed.slice(i + 1).map((r) => r.id);
        if (rest.length) await storage.write((s) => s.portalMails.postpone(rest, clock.now() + RETRY_FIRST_MS));
        break;
      }
    }
    return claimed.length;
  }

  /** One pass over the due portal mails (overlapping calls share the pass under way); stopSending as the notices'. */
  const { run: sendDuePortalMails, stop: stopSending } = onePassAtATime(runPass);

  return { sendDuePortalMails, stopSending };
}

export type PortalMails = ReturnType<typeof createPortalMails>;
