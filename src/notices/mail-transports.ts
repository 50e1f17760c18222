import fs from 'node:fs';
import path from 'node:path';
import type { Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import type { NoticeMail } from './notice-messages.js';

/**
 * Where notices go: an SMTP server (SMTP_URL), `.eml` files in the data folder (outside
 * production without SMTP_URL), or nowhere (production without SMTP_URL: logged as not sent).
 */
export interface MailTransport {
  readonly kind: 'smtp' | 'eml' | 'none';
  /** For logs: never the SMTP URL, which may hold a password. */
  readonly description: string;
  /**
   * False for `.eml` files: a receipt link lets its holder manage the customer's credentials, and a
   * development data folder is copied and shared far more loosely than a mailbox.
   */
  readonly carriesReceiptLinks: boolean;
  /** `stopping` aborts a send under way (the vault is stopping): it then rejects at once. */
  send(mail: NoticeMail, stopping?: AbortSignal): Promise<void>;
  close(): void;
}

/** A refusal that retrying the same message will not change (an SMTP 5xx reply). */
export class PermanentMailError extends Error {}

const headersOf = (mail: NoticeMail) => ({
  // RFC 3834: helpdesks and mail clients must not auto-reply to a notice.
  'Auto-Submitted': 'auto-generated',
  'X-Ticketvault-Notice': mail.kind,
});

const messageOf = (mail: NoticeMail, from: string) => ({
  from,
  to: mail.to,
  subject: mail.subject,
  text: mail.text,
  messageId: mail.messageId,
  headers: headersOf(mail),
});

export const OUTBOX_MAIL_FOLDER = 'outbox-mail';

/**
 * nodemailer is loaded and its transporter made on the first notice, not at start-up: it is about
 * 90 ms of a ~1 s cold start, and most passes of the sender find nothing to send.
 */
function lazyTransporter(options: Parameters<typeof import('nodemailer').createTransport>[0]) {
  let made: Promise<Transporter> | undefined;
  let transporter: Transporter | undefined;
  return {
    get: () => (made ??= import('nodemailer').then((m) => (transporter = m.default.createTransport(options)))),
    close: () => transporter?.close(),
  };
}

export function createMailTransport(config: Config): MailTransport {
  if (config.smtpUrl) return smtpTransport(config.smtpUrl, config.mailFrom);
  if (!config.isProduction) return emlTransport(path.join(config.dataDir, OUTBOX_MAIL_FOLDER), config.mailFrom);
  return { kind: 'none', description: 'nowhere (SMTP_URL is not set)', carriesReceiptLinks: false, send: async () => {}, close: () => {} };
}

function smtpTransport(url: string, from: string): MailTransport {
  const transporter = lazyTransporter({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  const target = new URL(url);
  return {
    kind: 'smtp',
    description: `smtp ${target.hostname}:${target.port || (target.protocol === 'smtps:' ? 465 : 587)}`,
    carriesReceiptLinks: true,
    send: async (mail, stopping) => {
      try {
        // nodemailer closes the connection when the signal aborts, whatever the SMTP exchange is waiting for.
        await (await transporter.get()).sendMail({ ...messageOf(mail, from), signal: stopping });
      } catch (error) {
        const code = (error as { responseCode?: unknown }).responseCode;
        if (typeof code === 'number' && code >= 500 && code < 600) throw new PermanentMailError((error as Error).message);
        throw error;
      }
    },
    close: () => transporter.close(),
  };
}

function emlTransport(folder: string, from: string): MailTransport {
  const transporter = lazyTransporter({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'eml',
    description: `.eml files in ${folder}`,
    carriesReceiptLinks: false,
    send: async (mail) => {
      const info = await (await transporter.get()).sendMail(messageOf(mail, from));
      fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
      // Named for the outbox row(s), so writing a notice twice after a crash overwrites, not duplicates.
      const name = mail.messageId.replace(/^<ticketvault-notice-|@.*$/g, '');
      fs.writeFileSync(path.join(folder, `${name}-${mail.kind}.eml`), info.message as Buffer, { mode: 0o600 });
    },
    close: () => transporter.close(),
  };
}
