import { z } from 'zod';
import { fileIdsSchema } from '../attachments/attachments.js';
import { openSealedBox, SealedBoxInvalid, type BoxKeyPair } from '../crypto/sealed-box.js';
import { BadRequest } from '../errors.js';
import { parseInput, rejectPrototypeKeys } from '../validation.js';
import { compactFields, CREDENTIAL_KINDS, FIELD_SCHEMAS, type CredentialKind, type SecretFields } from './credential-kinds.js';

const secretPayload = {
  fields: z.record(z.string(), z.unknown()).optional(),
  sealed: z.string().min(1).max(2 * 1024 * 1024).optional(),
  /** Upload ids (POST …/files) whose files the credential carries (DESIGN "Attachments"). */
  files: fileIdsSchema,
};

export const submissionSchema = z.strictObject({
  kind: z.string(),
  label: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  /** The receipt token an earlier submission of the same visit got back: this credential joins that receipt. */
  receipt: z.string().min(1).max(200).optional(),
  ...secretPayload,
});

export const rectificationSchema = z.strictObject(secretPayload);

export interface Submission {
  kind: CredentialKind;
  label?: string;
  receipt?: string;
  fields?: Record<string, unknown>;
  sealed?: string;
  files?: string[];
}

export function parseSubmission(body: unknown): Submission {
  const data = parseInput(submissionSchema, body);
  if (!(CREDENTIAL_KINDS as readonly string[]).includes(data.kind)) {
    throw new BadRequest('unknown_kind', `kind must be one of ${CREDENTIAL_KINDS.join(', ')}`, [{ path: 'body.kind', message: 'unknown kind' }]);
  }
  requireOnePayload(data);
  return { ...data, kind: data.kind as CredentialKind };
}

export function parseRectification(body: unknown): { fields?: Record<string, unknown>; sealed?: string; files?: string[] } {
  const data = parseInput(rectificationSchema, body);
  requireOnePayload(data);
  return data;
}

function requireOnePayload(data: { fields?: unknown; sealed?: unknown }) {
  if ((data.fields === undefined) === (data.sealed === undefined)) {
    throw new BadRequest('validation_failed', 'send exactly one of fields or sealed', [{ path: 'body', message: 'fields or sealed' }]);
  }
}

/** The problem a box that does not open becomes. */
export function sealedInvalid(): BadRequest {
  return new BadRequest('sealed_invalid', "sealed does not open with this vault's intake key; reload the page and try again");
}

/** Opens a sealed box on this thread with the vault's intake key pairs. */
export const openWith = (keyPairs: BoxKeyPair[]) => (sealed: string) => openSealedBox(sealed, keyPairs);

/**
 * The secret fields of a submission, validated for its kind: either given in clear (scripted
 * clients) or sealed in the browser to the intake public key and opened by `open` (on this
 * thread, or already opened on a worker thread).
 */
export function readSecretFields(
  kind: CredentialKind,
  payload: { fields?: Record<string, unknown>; sealed?: string },
  open: (sealed: string) => Uint8Array,
): SecretFields {
  let fields: unknown = payload.fields;
  if (payload.sealed !== undefined) {
    let opened: Uint8Array;
    try {
      opened = open(payload.sealed);
    } catch (error) {
      if (error instanceof SealedBoxInvalid) throw sealedInvalid();
      throw error;
    }
    try {
      fields = JSON.parse(Buffer.from(opened.buffer, opened.byteOffset, opened.byteLength).toString('utf8'));
    } catch {
      throw new BadRequest('sealed_invalid', 'sealed does not hold a JSON object of fields');
    } finally {
      opened.fill(0);
    }
    rejectPrototypeKeys(fields, 'fields');
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new BadRequest('validation_failed', 'fields must be an object', [{ path: 'body.fields', message: 'must be an object' }]);
  }
  return compactFields(parseInput(FIELD_SCHEMAS[kind], fields, 'fields') as Record<string, string | undefined>);
}
