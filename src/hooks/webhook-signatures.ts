import { createHash, createHmac } from 'node:crypto';
import type { BearerSecret } from '../config.js';
import { constantTimeEqual } from '../crypto/tokens.js';
import { Unauthorized } from '../errors.js';

// Who may deliver a webhook. Every check runs over the raw body bytes, before any JSON is parsed,
// and every comparison of a secret or a MAC is constant-time.

/** A delivery signed more than this far from our clock (either way) is refused: replays age out. */
export const MAX_SKEW_SECONDS = 300;

export interface SignedDelivery {
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
  secrets: string[];
  now: number;
}

const hmac = (secret: string, ...parts: Array<string | Buffer>) => {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

function requireFresh(signedAt: number, now: number): void {
  if (!Number.isFinite(signedAt) || Math.abs(now - signedAt) > MAX_SKEW_SECONDS * 1000) {
    throw new Unauthorized(
      'webhook_timestamp_out_of_range',
      `The signature timestamp is missing, malformed or more than ${MAX_SKEW_SECONDS} seconds from the vault's clock.`,
    );
  }
}

const badSignature = () => new Unauthorized('webhook_signature_invalid', 'The webhook signature does not match the body and a configured secret.');

const matchesAny = (given: Buffer[], expected: Buffer[]) => {
  let match = false;
  // Every pair is compared, so the time taken does not say which secret (if any) matched.
  for (const g of given) for (const e of expected) match = constantTimeEqual(g, e) || match;
  return match;
};

/**
 * The vault's own scheme: `X-Ticketvault-Timestamp: <unix seconds>` and
 * `X-Ticketvault-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>[,v1=…]`.
 * Several v1 values and several secrets are allowed, so either side can rotate.
 */
export function verifyTicketvaultSignature(d: SignedDelivery): void {
  if (!d.signature) throw new Unauthorized('webhook_signature_missing', 'Sign the delivery: X-Ticketvault-Timestamp and X-Ticketvault-Signature.');
  const timestamp = d.timestamp?.trim() ?? '';
  requireFresh(/^\d{1,12}$/.test(timestamp) ? Number(timestamp) * 1000 : NaN, d.now);
  const given = d.signature
    .split(',')
    .map((part) => /^\s*v1=([0-9a-fA-F]{64})\s*$/.exec(part)?.[1])
    .filter((hex): hex is string => hex !== undefined)
    .map((hex) => Buffer.from(hex, 'hex'));
  const expected = d.secrets.map((secret) => hmac(secret, `${timestamp}.`, d.body));
  if (!matchesAny(given, expected)) throw badSignature();
}

/**
 * Zendesk's scheme: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp + body)),
 * `X-Zendesk-Webhook-Signature-Timestamp` an ISO 8601 time (unix seconds accepted too).
 */
export function verifyZendeskSignature(d: SignedDelivery): void {
  if (!d.signature) throw new Unauthorized('webhook_signature_missing', 'Missing X-Zendesk-Webhook-Signature.');
  const timestamp = d.timestamp?.trim() ?? '';
  requireFresh(/^\d{1,12}$/.test(timestamp) ? Number(timestamp) * 1000 : Date.parse(timestamp), d.now);
  const given = /^[A-Za-z0-9+/]{43}=$/.test(d.signature.trim()) ? [Buffer.from(d.signature.trim(), 'base64')] : [];
  const expected = d.secrets.map((secret) => hmac(secret, timestamp, d.body));
  if (!matchesAny(given, expected)) throw badSignature();
}

/**
 * Help Scout's scheme: `X-HelpScout-Signature` = base64(HMAC-SHA1(secret, body)). It signs no time,
 * so a replay of the same bytes is caught only as a duplicate (the events table).
 */
export function verifyHelpScoutSignature(d: Omit<SignedDelivery, 'timestamp' | 'now'>): void {
  if (!d.signature) throw new Unauthorized('webhook_signature_missing', 'Missing X-HelpScout-Signature.');
  const given = /^[A-Za-z0-9+/]{27}=$/.test(d.signature.trim()) ? [Buffer.from(d.signature.trim(), 'base64')] : [];
  const expected = d.secrets.map((secret) => createHmac('sha1', secret).update(d.body).digest());
  if (!matchesAny(given, expected)) throw badSignature();
}

/** Jira's scheme (a webhook with a secret): `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>`. */
export function verifyJiraSignature(d: Omit<SignedDelivery, 'timestamp' | 'now'>): void {
  if (!d.signature) throw new Unauthorized('webhook_signature_missing', 'Missing X-Hub-Signature.');
  const hex = /^\s*sha256=([0-9a-fA-F]{64})\s*$/.exec(d.signature)?.[1];
  const given = hex ? [Buffer.from(hex, 'hex')] : [];
  const expected = d.secrets.map((secret) => hmac(secret, d.body));
  if (!matchesAny(given, expected)) throw badSignature();
}

/**
 * For a sender that signs its time inside the body (Jira's `timestamp`, read after the signature
 * held): refused when missing, ahead of our clock by more than the skew, or older than `maxAgeSeconds`.
 */
export function requireSignedRecently(signedAt: number | undefined, now: number, maxAgeSeconds: number): void {
  const age = now - (signedAt ?? NaN);
  if (!(age >= -MAX_SKEW_SECONDS * 1000 && age <= maxAgeSeconds * 1000)) {
    throw new Unauthorized('webhook_timestamp_out_of_range', `The delivery's timestamp is missing, ahead of the vault's clock or more than ${maxAgeSeconds} seconds old.`);
  }
}

/** A delivery's identity when the sender gives none we can trust: the signed bytes themselves. */
export function signedMessageId(timestamp: string, body: Buffer): string {
  return createHash('sha256').update(timestamp).update('.').update(body).digest('hex');
}

/**
 * For helpdesks that cannot sign: the integration's secret, sent as-is in `X-Ticketvault-Token`.
 * Weaker than a signature (no body integrity, no freshness); see README. Hashing both sides first
 * makes the comparison constant-time whatever the lengths.
 */
export function matchBearerSecret(given: string | undefined, secrets: BearerSecret[]): BearerSecret {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  const presented = digest(given?.trim() ?? '');
  let found: BearerSecret | undefined;
  for (const candidate of secrets) if (constantTimeEqual(presented, digest(candidate.secret)) && given) found = candidate;
  if (!found) throw new Unauthorized('webhook_token_invalid', 'The X-Ticketvault-Token does not match a configured integration.');
  return found;
}
