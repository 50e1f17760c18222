import type { Keyring } from '../crypto/keyring.js';
import type { PortalMailKind } from './portal-mails-store.js';

// A link's token rides with its queued mail wrapped by the KEK (never in clear), bound to the
// mail's kind and recipient, and is dropped once the mail is sent.

export const mailLinkContext = (kind: PortalMailKind, address: string) => `ticketvault/portal-mail-link/v1|${kind}|${address.toLowerCase()}`;

export function wrapMailLink(keyring: Keyring, kind: PortalMailKind, address: string, token: string) {
  return keyring.wrap(Buffer.from(token, 'utf8'), mailLinkContext(kind, address));
}
