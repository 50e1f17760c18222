import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { LANGUAGES, type Language } from './languages/languages.js';
import { canonicalTimeZone } from './tickets/support-period.js';

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
  DATABASE_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .trim()
      .refine((u) => URL.canParse(u) && /^postgres(ql)?:$/.test(new URL(u).protocol), { message: 'must be a postgres:// URL (leave it empty for the embedded SQLite file)' })
      .optional(),
  ),
  MASTER_KEY: z.preprocess((v) => (v === '' ? undefined : v), base64Key.optional()),
  MASTER_KEY_FILE: optionalText,
  PURGE_INTERVAL_SECONDS: seconds(60),
  INTAKE_LINK_TTL_SECONDS: seconds(259200, 60),
  CREDENTIAL_MAX_AGE_SECONDS: seconds(2592000, 60),
  // Unset, the pages and e-mails name the product itself; they never put "support" after this name.
  VENDOR_NAME: z.string().trim().min(1).max(200).default('ticketvault'),
  HELPDESK_WEBHOOK_SECRET: webhookSecrets(true),
  ZENDESK_WEBHOOK_SECRET: webhookSecrets(false),
  HELPSCOUT_WEBHOOK_SECRET: webhookSecrets(false),
  JIRA_WEBHOOK_SECRET: webhookSecrets(false),
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
  METRICS_TOKEN: z
    .string()
    .trim()
    .min(32, { message: 'must be at least 32 characters, e.g. from: openssl rand -hex 32' })
    .regex(/^\S+$/, { message: 'must not contain spaces (it travels in an Authorization header)' })
    .optional(),
  CUSTOMER_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(120),
  ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1).max(64 * 1024 * 1024).default(5 * 1024 * 1024),
  SUPPORT_TIMEZONE: z
    .string()
    .trim()
    .default('UTC')
    .transform((zone, ctx) => {
      const canonical = canonicalTimeZone(zone);
      if (canonical) return canonical;
      ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone name, e.g. UTC or Europe/Berlin' });
      return z.NEVER;
    }),
  DEFAULT_LANGUAGE: z.enum(LANGUAGES, { error: `must be one of ${LANGUAGES.join(', ')}` }).default('en'),
  MFA_REQUIRED: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
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
  /** DATABASE_URL: PostgreSQL for several instances; unset, the embedded SQLite file at databasePath. */
  databaseUrl?: string;
  /** Where the data is, for logs and banners: the SQLite path, or the PostgreSQL URL without its credentials. */
  databaseLabel: string;
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
  /** HELPSCOUT_WEBHOOK_SECRET: the Help Scout webhook's secret(s); empty when the endpoint is off. */
  helpScoutWebhookSecrets: string[];
  /** JIRA_WEBHOOK_SECRET: the Jira webhook's secret(s); empty when the endpoint is off. */
  jiraWebhookSecrets: string[];
  oidc?: { issuer: string; audience: string; jwksUrl: string; roleClaim: string };
  smtpUrl?: string;
  mailFrom: string;
  logLevel: string;
  /** Express "trust proxy": false, a hop count, or proxy addresses/subnets (never `true`: any client could pick its address). */
  trustProxy: false | number | string[];
  /** The bearer token /metrics asks for; without one /metrics answers 404. */
  metricsToken?: string;
  /** Requests per client address and minute to the customer endpoints; 0 turns the limit off. */
  customerRateLimitPerMinute: number;
  /** ATTACHMENT_MAX_BYTES: the largest file a credential may carry (DESIGN "Attachments"). */
  attachmentMaxBytes: number;
  /** SUPPORT_TIMEZONE: a support period ends at the end of its last day in this zone. */
  supportTimeZone: string;
  /** The customer pages' and e-mails' language when neither the customer nor their browser names one we have. */
  defaultLanguage: Language;
  /** MFA_REQUIRED: local accounts without a second factor must enrol one at their next sign-in. */
  mfaRequired: boolean;
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

  const displayHost = v.HOST === '0.0.0.0' || v.HOST === '::' ? 'localhost' : isIP(v.HOST) === 6 ? `[${v.HOST}]` : v.HOST;
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
    databaseUrl: v.DATABASE_URL,
    databaseLabel: v.DATABASE_URL ? withoutCredentials(v.DATABASE_URL) : databasePath,
    dataDir: path.dirname(databasePath),
    masterKey: v.MASTER_KEY,
    masterKeyFile: v.MASTER_KEY_FILE,
    purgeIntervalSeconds: v.PURGE_INTERVAL_SECONDS,
    intakeLinkTtlSeconds: v.INTAKE_LINK_TTL_SECONDS,
    credentialMaxAgeSeconds: v.CREDENTIAL_MAX_AGE_SECONDS,
    vendorName: v.VENDOR_NAME,
    helpdeskWebhook: parseHelpdeskSecrets(v.HELPDESK_WEBHOOK_SECRET ?? []),
    zendeskWebhookSecrets: v.ZENDESK_WEBHOOK_SECRET ?? [],
    helpScoutWebhookSecrets: v.HELPSCOUT_WEBHOOK_SECRET ?? [],
    jiraWebhookSecrets: v.JIRA_WEBHOOK_SECRET ?? [],
    oidc:
      v.OIDC_ISSUER && v.OIDC_AUDIENCE && v.OIDC_JWKS_URL
        ? { issuer: v.OIDC_ISSUER, audience: v.OIDC_AUDIENCE, jwksUrl: v.OIDC_JWKS_URL, roleClaim: v.OIDC_ROLE_CLAIM }
        : undefined,
    smtpUrl: v.SMTP_URL,
    mailFrom: v.MAIL_FROM ?? `${v.VENDOR_NAME} <no-reply@${new URL(publicUrl).hostname}>`,
    logLevel: v.LOG_LEVEL,
    trustProxy: parseTrustProxy(v.TRUST_PROXY),
    metricsToken: v.METRICS_TOKEN,
    customerRateLimitPerMinute: v.CUSTOMER_RATE_LIMIT_PER_MINUTE,
    attachmentMaxBytes: v.ATTACHMENT_MAX_BYTES,
    supportTimeZone: v.SUPPORT_TIMEZONE,
    defaultLanguage: v.DEFAULT_LANGUAGE,
    mfaRequired: v.MFA_REQUIRED === 'true',
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

/**
 * Development mode keeps its master key in the data folder and writes notices to files, so it
 * listens on loopback only. Checked where the vault starts listening: tests compose vaults with
 * NODE_ENV=test and an https PUBLIC_URL without ever listening.
 */
export function checkDevelopmentListensOnLoopback(config: Config): void {
  if (config.isProduction) return;
  if (!isLoopbackHost(config.host)) {
    throw new ConfigError('NODE_ENV', `is "${config.env}", which listens on loopback only, but HOST is ${config.host}: set NODE_ENV=production on a host others can reach`);
  }
  if (config.publicUrl.startsWith('https:')) {
    throw new ConfigError('NODE_ENV', `is "${config.env}", but PUBLIC_URL ${config.publicUrl} is https, so customers would reach it: set NODE_ENV=production`);
  }
}

function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || /^::ffff:127\./i.test(bare);
}

const MAX_PROXY_HOPS = 10;
/** Express's names for address ranges (proxy-addr); anything else must be an address or a CIDR. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string | undefined): Config['trustProxy'] {
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value.toLowerCase() === 'true') {
    throw new ConfigError(
      'TRUST_PROXY',
      'true would take any client\'s X-Forwarded-For as its address (into audit rows and past the sign-in limits); ' +
        'give the number of proxies in front of the vault (e.g. 1) or their addresses/CIDRs (e.g. loopback or 10.0.0.5)',
    );
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_PROXY_HOPS) throw new ConfigError('TRUST_PROXY', `a hop count is the number of proxies in front of the vault, 1 to ${MAX_PROXY_HOPS}`);
    return hops;
  }
  const entries = value.split(',').map((part) => part.trim());
  for (const entry of entries) {
    if (!PROXY_RANGE_NAMES.has(entry) && !isAddressOrSubnet(entry)) {
      throw new ConfigError(
        'TRUST_PROXY',
        `"${entry}" is not a proxy address, a CIDR (10.0.0.0/8, fd00::/8) or one of ${[...PROXY_RANGE_NAMES].join(', ')}`,
      );
    }
  }
  return entries;
}

function isAddressOrSubnet(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  try {
    // BlockList refuses a prefix longer than the family allows.
    new BlockList().addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    return true;
  } catch {
    return false;
  }
}

let readOnce: Config | undefined;

/**
 * Reads the process environment once; call only from the composition root and the CLI. MASTER_KEY
 * then leaves process.env, so no child process, worker or later reader inherits the key.
 */
export function readConfig(): Config {
  if (readOnce) return readOnce;
  try {
    readOnce = parseConfig(process.env);
  } finally {
    delete process.env.MASTER_KEY;
  }
  return readOnce;
}

/** A database URL safe to log: scheme, host, port and database name, never the user or password. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
