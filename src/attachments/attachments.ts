import { z } from 'zod';
import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { revealDenial } from '../credentials/credential-lifecycle.js';
import type { RevealRow } from '../credentials/credentials-store.js';
import { decryptFile, decryptFileList, type EncryptedFile, type EncryptedSecret, type FileEntry, type PlainFile } from '../crypto/credential-cipher.js';
import { openUpload, uploadedFileSize, UploadInvalid } from '../crypto/file-cipher.js';
import { hashToken, isWellFormedToken } from '../crypto/tokens.js';
import { BadRequest, Conflict, NotFound, VaultError, type FieldIssue } from '../errors.js';
import { newId } from '../ids.js';
import type { IntakeLinks } from '../intake-links/intake-links.js';
import type { VaultKeys } from '../keys/vault-keys.js';
import type { Logger } from '../logger.js';
import { auditRefusal, auditRevealDecision } from '../reveal/reveal.js';
import type { RevealApprovals } from '../reveal/reveal-approvals.js';
import type { Storage, Stores } from '../storage/storage.js';
import { isUuid } from '../validation.js';

import { MAX_FILES } from './attachment-limits.js';

export { MAX_FILES };
/** An upload no submission claimed is destroyed by the first purge pass after this (docs/decisions/026). */
export const STAGED_UPLOAD_TTL_MS = 60 * 60 * 1000;
/** Uploads one link (or receipt) may have waiting at once: two submissions' worth, so bytes are bounded too. */
export const MAX_STAGED_PER_OWNER = 2 * MAX_FILES;


export interface AttachmentDeps {
  storage: Storage;
  intakeLinks: IntakeLinks;
  audit: Audit;
  clock: Clock;
  keys: VaultKeys;
  log: Logger;
  /** ATTACHMENT_MAX_BYTES */
  maxBytes: number;
  /** "Ask me first" (decision 027): a download is a reveal, so it waits for the customer's approval as a reveal does. */
  approvals?: RevealApprovals;
}

export interface StagedFile {
  id: string;
  size: number;
  expiresAt: string;
}

export interface DownloadedFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/** The `files` of a submission or rectification: up to five upload ids, each once. */
export const fileIdsSchema = z.array(z.string().max(64)).optional();

export function checkFileIds(ids: string[] | undefined): string[] {
  if (!ids || ids.length === 0) return [];
  const issue = (message: string): FieldIssue[] => [{ path: 'body.files', message }];
  if (ids.length > MAX_FILES) throw new BadRequest('too_many_files', `A credential carries at most ${MAX_FILES} files.`, issue(`at most ${MAX_FILES}`));
  if (!ids.every(isUuid) || new Set(ids).size !== ids.length) throw new BadRequest('upload_unknown', 'files must name uploads of this link, each once.', issue('unknown upload'));
  return ids;
}

const uploadUnknown = () =>
  new BadRequest('upload_unknown', 'An upload named in files is unknown, already used or expired: upload the file again.', [{ path: 'body.files', message: 'unknown upload' }]);
const uploadInvalid = () => new BadRequest('upload_invalid', "The file does not open with this vault's intake key, or arrived damaged: reload the page and try again.");
const downloadBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });

type Outcome = { denied: VaultError } | { row: RevealRow; entry: FileEntry; file: EncryptedFile };

export function createAttachments(deps: AttachmentDeps) {
  const { storage, audit, clock, keys, log } = deps;

  const tooLarge = () =>
    new VaultError(413, 'attachment_too_large', 'Payload too large', `A file may be at most ${deps.maxBytes} bytes (${(deps.maxBytes / 1048576).toFixed(1)} MiB).`);

  /** Checks an upload opens (so nothing damaged is kept) and stages it for `ownerId`. */
  async function stage(ownerId: string, upload: Uint8Array): Promise<StagedFile> {
    let size: number;
    try {
      size = uploadedFileSize(upload);
    } catch {
      throw uploadInvalid();
    }
    if (size > deps.maxBytes) throw tooLarge();
    try {
      openUpload(upload, keys.intakeKeyPairs).bytes.fill(0);
    } catch (error) {
      if (error instanceof UploadInvalid) throw uploadInvalid();
      throw error;
    }
    const now = clock.now();
    const staged = { id: newId(now), ownerId, size, upload, createdAt: now };
    await storage.write(async (s) => {
      if ((await s.attachments.stagedOf(ownerId)).count >= MAX_STAGED_PER_OWNER) {
        throw new Conflict('too_many_uploads', `At most ${MAX_STAGED_PER_OWNER} files may wait for a submission; send the form or wait an hour.`);
      }
      await s.attachments.stage(staged);
    });
    return { id: staged.id, size, expiresAt: new Date(now + STAGED_UPLOAD_TTL_MS).toISOString() };
  }

  /**
   * `POST /intake/:token/files`: a file for a submission through this link. The link is checked
   * before the body is read (`readUpload`), so an unknown or ended link costs no upload.
   */
  async function stageIntakeFile(token: string, readUpload: () => Promise<Uint8Array>): Promise<StagedFile> {
    const { link } = await deps.intakeLinks.findUsableLink(token);
    return stage(link.id, await readUpload());
  }

  /** `POST /receipts/:token/files`: a file for a rectification through this receipt. */
  async function stageReceiptFile(token: string, readUpload: () => Promise<Uint8Array>): Promise<StagedFile> {
    const receipt = isWellFormedToken(token) ? await storage.read((s) => s.receipts.getByTokenHash(hashToken(token))) : undefined;
    if (!receipt) throw new NotFound('receipt_not_found', 'This receipt link does not exist.');
    return stage(receipt.id, await readUpload());
  }

  /** Opens the staged uploads `ids` of `ownerId` (outside any transaction: decryption is the slow part). */
  async function openStagedFiles(ownerId: string, ids: string[]): Promise<PlainFile[]> {
    if (ids.length === 0) return [];
    const staged = await storage.read((s) => s.attachments.getStaged(ownerId, ids));
    if (staged.length !== ids.length) throw uploadUnknown();
    const byId = new Map(staged.map((u) => [u.id, u]));
    const files: PlainFile[] = [];
    try {
      for (const id of ids) {
        const opened = openUpload(byId.get(id)!.upload, keys.intakeKeyPairs);
        files.push({ id: newId(), name: opened.name, type: opened.type, bytes: opened.bytes });
      }
    } catch (error) {
      for (const f of files) f.bytes.fill(0);
      if (error instanceof UploadInvalid) throw uploadInvalid();
      throw error;
    }
    return files;
  }

  /** Inside the submission's transaction: the uploads leave staging with it, or the submission fails. */
  async function claimStagedFiles(s: Stores, ownerId: string, ids: string[]): Promise<void> {
    if (ids.length && (await s.attachments.claimStaged(ownerId, ids)) !== ids.length) throw uploadUnknown();
  }

  /** What a reveal lists: the files of a credential whose secret row it read. */
  function listFiles(row: { id: string; ticketId: string; kind: string; secret: EncryptedSecret | null }): FileEntry[] {
    return row.secret ? decryptFileList(keys.keyring, { credentialId: row.id, ticketId: row.ticketId, kind: row.kind }, row.secret) : [];
  }

  /**
   * One download: its own audited reveal (`credential.revealed` naming the file), refused as a
   * reveal is (404/410/423, audited `credential.reveal_denied`). The audit row commits with the
   * file's ciphertext read; only then are the bytes decrypted and handed out.
   */
  async function downloadFile(credentialId: string, fileId: string, body: unknown, actor: Actor, origin?: Origin): Promise<DownloadedFile> {
    const parsed = downloadBody.safeParse(body ?? {});
    if (!parsed.success) {
      throw new BadRequest('reason_required', 'A download needs a reason (1–500 characters): why do you need this file?', [{ path: 'body.reason', message: 'required' }]);
    }
    const reason = parsed.data.reason;
    let outcome: Outcome;
    try {
      outcome = await storage.write(async (s): Promise<Outcome> => {
        const row = isUuid(credentialId) ? await s.credentials.getForReveal(credentialId) : undefined;
        let denied: VaultError | null = row ? revealDenial(row, row.ticket, clock.now()) : new NotFound('credential_not_found', 'No credential with that id.');
        // The same approval as the reveal's: approved for this engineer and credential, it covers the files too.
        if (row && !denied && row.askFirst && deps.approvals) {
          const asked = await deps.approvals.checkAskFirst(s, row, reason, actor, origin);
          if ('denied' in asked) return { denied: asked.denied };
        }
        let entry: FileEntry | undefined;
        let stored: EncryptedFile | undefined;
        if (row && !denied) {
          entry = isUuid(fileId) ? listFiles(row).find((f) => f.id === fileId) : undefined;
          stored = entry && (await s.attachments.getFile(row.id, entry.id));
          if (!stored) denied = new NotFound('file_not_found', 'This credential has no file with that id.');
        }
        await auditRevealDecision(s, audit, { row, denied, actor, origin, reason, detail: entry && `file: ${entry.name}` });
        if (denied) return { denied };
        return { row: row!, entry: entry!, file: stored! };
      });
    } catch (error) {
      throw auditRefusal(error, log, isUuid(credentialId) ? credentialId : null, 'download');
    }
    if ('denied' in outcome) throw outcome.denied;
    const { row, entry, file } = outcome;
    const bytes = decryptFile(keys.keyring, { credentialId: row.id, ticketId: row.ticketId, kind: row.kind }, row.secret!, file);
    return { name: entry.name, type: entry.type, bytes };
  }

  return { stageIntakeFile, stageReceiptFile, openStagedFiles, claimStagedFiles, listFiles, downloadFile, maxBytes: deps.maxBytes };
}

export type Attachments = ReturnType<typeof createAttachments>;
