import { z } from 'zod';

// DESIGN.md "Credential kinds and their fields". Every field is secret and stored only encrypted.
// `file` (DESIGN "Attachments") holds files and optional notes; any kind may carry files.
export const CREDENTIAL_KINDS = ['ftp', 'ssh', 'teamviewer', 'api', 'web-login', 'other', 'file'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export const MAX_FIELD_BYTES = 16 * 1024;

export interface KindSpec {
  kind: CredentialKind;
  title: string;
  required: string[];
  optional: string[];
}

export const KIND_SPECS: Record<CredentialKind, KindSpec> = {
  ftp: {
    kind: 'ftp',
    title: 'FTP / SFTP login',
    required: ['host', 'username'],
    optional: ['protocol', 'port', 'password', 'privateKey', 'path', 'notes'],
  },
  ssh: { kind: 'ssh', title: 'SSH login', required: ['host', 'username'], optional: ['port', 'password', 'privateKey', 'notes'] },
  teamviewer: { kind: 'teamviewer', title: 'TeamViewer', required: ['partnerId', 'password'], optional: ['notes'] },
  api: { kind: 'api', title: 'API key', required: ['key'], optional: ['baseUrl', 'secret', 'notes'] },
  'web-login': { kind: 'web-login', title: 'Web login', required: ['url', 'username', 'password'], optional: ['notes'] },
  other: { kind: 'other', title: 'Other', required: ['notes'], optional: [] },
  file: { kind: 'file', title: 'Files', required: [], optional: ['notes'] },
};

/**
 * Per kind, the fields that unlock something (for `other`, its notes are the secret): a reveal
 * shows them masked until asked, the others (host, user name, port, folder…) plainly. Every
 * field is stored encrypted alike; this only decides what an engineer's screen shows at once.
 */
export const SECRET_FIELDS: Record<CredentialKind, readonly string[]> = {
  ftp: ['password', 'privateKey'],
  ssh: ['password', 'privateKey'],
  teamviewer: ['password'],
  api: ['key', 'secret'],
  'web-login': ['password'],
  other: ['notes'],
  file: [],
};

export const FTP_PROTOCOLS = ['ftp', 'ftps', 'sftp'] as const;

const withinLimit = (s: string) => Buffer.byteLength(s, 'utf8') <= MAX_FIELD_BYTES;
const LIMIT_MESSAGE = `must be at most ${MAX_FIELD_BYTES} bytes (16 KiB) of UTF-8`;

const requiredText = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
  .refine((s) => s.trim() !== '', { message: 'must not be empty' })
  .refine(withinLimit, { message: LIMIT_MESSAGE });

/** Browser forms send empty optional inputs; an empty optional field is the same as an absent one. */
const optionalText = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.string({ error: 'must be a string' }).refine(withinLimit, { message: LIMIT_MESSAGE }).optional(),
);

const port = z.preprocess(
  (v) => (v === '' ? undefined : typeof v === 'number' ? String(v) : v),
  z
    .string({ error: 'must be a string' })
    .trim()
    .refine((s) => /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535, { message: 'must be a port number from 1 to 65535' })
    .transform((s) => String(Number(s)))
    .optional(),
);

const protocol = z.preprocess(
  (v) => (v === '' || v === undefined ? 'sftp' : v),
  z.enum(FTP_PROTOCOLS, { error: 'must be one of ftp, ftps, sftp' }),
);

export const FIELD_SCHEMAS = {
  ftp: z.strictObject({
    host: requiredText,
    username: requiredText,
    protocol,
    port,
    password: optionalText,
    privateKey: optionalText,
    path: optionalText,
    notes: optionalText,
  }),
  ssh: z.strictObject({
    host: requiredText,
    username: requiredText,
    port,
    password: optionalText,
    privateKey: optionalText,
    notes: optionalText,
  }),
  teamviewer: z.strictObject({ partnerId: requiredText, password: requiredText, notes: optionalText }),
  api: z.strictObject({ key: requiredText, baseUrl: optionalText, secret: optionalText, notes: optionalText }),
  'web-login': z.strictObject({ url: requiredText, username: requiredText, password: requiredText, notes: optionalText }),
  other: z.strictObject({ notes: requiredText }),
  file: z.strictObject({ notes: optionalText }),
} satisfies Record<CredentialKind, z.ZodType>;

export type SecretFields = Record<string, string>;

export const isCredentialKind = (k: unknown): k is CredentialKind =>
  typeof k === 'string' && (CREDENTIAL_KINDS as readonly string[]).includes(k);

/** Drops absent optional fields so the stored JSON holds only what the customer gave. */
export function compactFields(fields: Record<string, string | undefined>): SecretFields {
  const out: SecretFields = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}
