import { createHmac } from 'node:crypto';
import { randomBytes } from './random.js';

// Standard Webhooks (standardwebhooks.com): a secret is `whsec_` + base64 of random bytes, the
// HMAC key is those bytes, and the signature covers `<webhook-id>.<webhook-timestamp>.<body>`.

const SECRET_PREFIX = 'whsec_';
export const WEBHOOK_SECRET_BYTES = 32;

/** A new endpoint secret's raw bytes. */
export const newWebhookSecret = (): Uint8Array => randomBytes(WEBHOOK_SECRET_BYTES);

/** The secret as the receiver configures it: `whsec_<base64>`. */
export const formatWebhookSecret = (secret: Uint8Array): string => SECRET_PREFIX + Buffer.from(secret).toString('base64');

/** The `webhook-signature` header's value: `v1,<base64 HMAC-SHA256>`. */
export function signWebhook(secret: Uint8Array, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${id}.${timestampSeconds}.`, 'utf8').update(body, 'utf8').digest('base64');
  return `v1,${mac}`;
}
