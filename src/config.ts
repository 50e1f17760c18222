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
  HELPDESK_WEBHOOK_SECRET: optionalText,
  ZENDESK_WEBHOOK_SECRET: optionalText,
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
  helpdeskWebhookSecret?: string;
  zendeskWebhookSecret?: string;
  oidc?: { issuer: string; audience: string; jwksUrl: string; roleClaim: string };
  smtpUrl?: string;
  mailFrom: string;
  logLevel: string;
  /** Express "trust proxy" value: false, a hop count, or a list of addresses/subnets. */
  trustProxy: boolean | number | string;
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
    helpdeskWebhookSecret: v.HELPDESK_WEBHOOK_SECRET,
    zendeskWebhookSecret: v.ZENDESK_WEBHOOK_SECRET,
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
