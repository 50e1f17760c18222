import path from 'node:path';
import { z } from 'zod';

// The only module that reads process.env. Everything else receives a Config.

const seconds = (fallback: number, min = 1) =>
  z.coerce.number().int().min(min).max(10 * 365 * 24 * 3600).default(fallback);

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const base64Key = z.string().refine(
  (value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .every((part) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(part) && Buffer.from(part, 'base64').length === 32),
  { message: 'must be base64 of exactly 32 bytes (comma-separate old keys after the current one)' },
);

const SIGNING_SECRET_MIN = 16;
const BEARER_SECRET_MIN = 32;

/** A webhook secret list: comma-separated, at most two signing secrets (the current one and the one being retired). */
const webhookSecrets = (allowBearer: boolean) =>
  z
    .string()
    .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
    .superRefine((parts, ctx) => {
      let signing = 0;
      for (const part of parts) {
        if (part.startsWith('bearer:')) {
          const match = /^bearer:([a-z0-9][a-z0-9-]{0,39}):(.+)$/.exec(part);
          if (!allowBearer) ctx.addIssue({ code: 'custom', message: 'takes signing secrets only' });
          else if (!match) ctx.addIssue({ code: 'custom', message: 'a bearer entry is bearer:<name>:<secret>, name in a-z, 0-9 and -' });
          else if (match[2]!.length < BEARER_SECRET_MIN) ctx.addIssue({ code: 'custom', message: `bearer secret "${match[1]}" must be at least ${BEARER_SECRET_MIN} characters` });
        } else if (part.length < SIGNING_SECRET_MIN) {
          ctx.addIssue({ code: 'custom', message: `each signing secret must be at least ${SIGNING_SECRET_MIN} characters` });
        } else {
          signing++;
        }
      }
      if (signing > 2) ctx.addIssue({ code: 'custom', message: 'at most two signing secrets (the new one and the one being retired)' });
    })
    .optional();

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PUBLIC_URL: z
    .string()
    .trim()
    .url()
    // zod runs this even when .url() failed, so it must not throw on a non-URL.
    .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), { message: 'must be an http(s) URL' })
    .optional(),
  DATABASE_PATH: z.string().trim().min(1).default('./data/ticketvault.db'),
  MASTER_KEY: z.preprocess((v) => (v === '' ? undefined : v), base64Key.optional()),
  MASTER_KEY_FILE: optionalText,
  PURGE_INTERVAL_SECONDS: seconds(60),
  INTAKE_LINK_TTL_SECONDS: seconds(259200, 60),
  CREDENTIAL_MAX_AGE_SECONDS: seconds(2592000, 60),
  VENDOR_NAME: z.string().trim().min(1).max(200).default('Support'),
  HELPDESK_WEBHOOK_SECRET: webhookSecrets(true),
  ZENDESK_WEBHOOK_SECRET: webhookSecrets(false),
  OIDC_ISSUER: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  OIDC_AUDIENCE: optionalText,
  OIDC_JWKS_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  OIDC_ROLE_CLAIM: z.string().trim().min(1).default('ticketvault_role'),
  SMTP_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .refine((u) => /^smtps?:\/\//.test(u), { message: 'must start with smtp:// or smtps://' })
      .optional(),
  ),
  MAIL_FROM: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().optional()),
});

export type Env = Record<string, string | undefined>;

export interface Config {
  env: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  host: string;
  publicUrl: string;
  publicOrigin: string;
  databasePath: string;
  dataDir: string;
  masterKey?: string;
  masterKeyFile?: string;
  purgeIntervalSeconds: number;
  intakeLinkTtlSeconds: number;
  credentialMaxAgeSeconds: number;
  vendorName: string;
  /** HELPDESK_WEBHOOK_SECRET: HMAC signing secrets, and bearer secrets for helpdesks that cannot sign. */
  helpdeskWebhook: { signingSecrets: string[]; bearerSecrets: BearerSecret[] };
  /** ZENDESK_WEBHOOK_SECRET: Zendesk's signing secret(s); empty when the endpoint is off. */
  zendeskWebhookSecrets: string[];
  oidc?: { issuer: string; audience: string; jwksUrl: string; roleClaim: string };
  smtpUrl?: string;
  mailFrom: string;
  logLevel: string;
  /** Express "trust proxy" value: false, a hop count, or a list of addresses/subnets. */
  trustProxy: boolean | number | string;
}

/** One integration's shared secret, sent as-is in a header: weaker than a signature (see README). */
export interface BearerSecret {
  name: string;
  secret: string;
}

export class ConfigError extends Error {
  constructor(public readonly key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

export function parseConfig(env: Env): Config {
  // `KEY=` in an env file means "not set": a blank PORT must not coerce to 0 (a random port).
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const result = schema.safeParse(given);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'config'), issue.message);
  }
  const v = result.data;
  const isProduction = v.NODE_ENV === 'production';

  if (isProduction && !v.MASTER_KEY && !v.MASTER_KEY_FILE) {
    throw new ConfigError('MASTER_KEY', 'required in production (or set MASTER_KEY_FILE); generate one with: openssl rand -base64 32');
  }
  if (v.MASTER_KEY && v.MASTER_KEY_FILE) {
    throw new ConfigError('MASTER_KEY_FILE', 'set either MASTER_KEY or MASTER_KEY_FILE, not both');
  }
  if (isProduction && !v.PUBLIC_URL) {
    throw new ConfigError('PUBLIC_URL', 'required in production: the address customers open links on, e.g. https://vault.example.com');
  }
  const oidcKeys = [v.OIDC_ISSUER, v.OIDC_AUDIENCE, v.OIDC_JWKS_URL];
  if (oidcKeys.some(Boolean) && !oidcKeys.every(Boolean)) {
    const missing = ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'][oidcKeys.findIndex((k) => !k)]!;
    throw new ConfigError(missing, 'OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL are set together or not at all');
  }

  const displayHost = v.HOST === '0.0.0.0' || v.HOST === '::' ? 'localhost' : v.HOST;
  const publicUrl = (v.PUBLIC_URL ?? `http://${displayHost}:${v.PORT}`).replace(/\/+$/, '');
  const databasePath = path.resolve(v.DATABASE_PATH);

  return {
    env: v.NODE_ENV,
    isProduction,
    port: v.PORT,
    host: v.HOST,
    publicUrl,
    publicOrigin: new URL(publicUrl).origin,
    databasePath,
    dataDir: path.dirname(databasePath),
    masterKey: v.MASTER_KEY,
    masterKeyFile: v.MASTER_KEY_FILE,
    purgeIntervalSeconds: v.PURGE_INTERVAL_SECONDS,
    intakeLinkTtlSeconds: v.INTAKE_LINK_TTL_SECONDS,
    credentialMaxAgeSeconds: v.CREDENTIAL_MAX_AGE_SECONDS,
    vendorName: v.VENDOR_NAME,
    helpdeskWebhook: parseHelpdeskSecrets(v.HELPDESK_WEBHOOK_SECRET ?? []),
    zendeskWebhookSecrets: v.ZENDESK_WEBHOOK_SECRET ?? [],
    oidc:
      v.OIDC_ISSUER && v.OIDC_AUDIENCE && v.OIDC_JWKS_URL
        ? { issuer: v.OIDC_ISSUER, audience: v.OIDC_AUDIENCE, jwksUrl: v.OIDC_JWKS_URL, roleClaim: v.OIDC_ROLE_CLAIM }
        : undefined,
    smtpUrl: v.SMTP_URL,
    mailFrom: v.MAIL_FROM ?? `${v.VENDOR_NAME} <no-reply@${new URL(publicUrl).hostname}>`,
    logLevel: v.LOG_LEVEL,
    trustProxy: parseTrustProxy(v.TRUST_PROXY),
  };
}

function parseHelpdeskSecrets(parts: string[]): Config['helpdeskWebhook'] {
  const bearerSecrets: BearerSecret[] = [];
  const signingSecrets: string[] = [];
  for (const part of parts) {
    const match = /^bearer:([^:]+):(.+)$/.exec(part);
    if (match) bearerSecrets.push({ name: match[1]!, secret: match[2]! });
    else signingSecrets.push(part);
  }
  return { signingSecrets, bearerSecrets };
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** Reads the process environment once; call only from the composition root and the CLI. */
export function readConfig(): Config {
  return parseConfig(process.env);
}
