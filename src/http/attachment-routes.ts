import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request } from 'express';
import type { Attachments } from '../attachments/attachments.js';
import { maxUploadBytes } from '../crypto/file-cipher.js';
import { VaultError } from '../errors.js';
import type { SecondFactors } from '../staff-auth/second-factors.js';
import { param } from './params.js';
import { originOf } from './request-origin.js';
import { authenticateStaff, requireRecentSignIn, requireRole, staffActor, type StaffAuthDeps } from './staff-auth.js';

export interface AttachmentRouteDeps extends StaffAuthDeps {
  attachments: Attachments;
  secondFactors: SecondFactors;
}

const DOWNLOAD_CHUNK_BYTES = 64 * 1024;

/** The upload body: application/octet-stream only (415), no larger than the envelope of the largest file (413). */
async function readUpload(req: Request, maxFileBytes: number): Promise<Uint8Array> {
  if (!req.is('application/octet-stream')) {
    throw new VaultError(415, 'unsupported_media_type', 'Unsupported media type', 'Send the encrypted file as application/octet-stream.');
  }
  const limit = maxUploadBytes(maxFileBytes);
  const tooLarge = () => new VaultError(413, 'attachment_too_large', 'Payload too large', `A file may be at most ${maxFileBytes} bytes.`);
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** RFC 6266 / 8187: an ASCII fallback and the exact UTF-8 name. */
export function attachmentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * The customer's uploads (DESIGN "Attachments"): raw bytes, so they are routed before the JSON
 * parser. The body is already ciphertext sealed in the browser; it is never logged.
 */
export function uploadRoutes(deps: AttachmentRouteDeps): Router {
  const { attachments } = deps;
  const router = Router();
  router.post('/intake/:token/files', async (req, res) => {
    res.status(201).json(await attachments.stageIntakeFile(param(req, 'token'), () => readUpload(req, attachments.maxBytes)));
  });
  router.post('/receipts/:token/files', async (req, res) => {
    res.status(201).json(await attachments.stageReceiptFile(param(req, 'token'), () => readUpload(req, attachments.maxBytes)));
  });
  return router;
}

/** Staff downloads: each its own audited reveal, committed before the first byte is sent. */
export function downloadRoutes(deps: AttachmentRouteDeps): Router {
  const { attachments } = deps;
  const router = Router();
  router.post(
    '/credentials/:id/files/:fileId/download',
    authenticateStaff(deps),
    requireRole('engineer'),
    requireRecentSignIn(deps),
    async (req, res) => {
      const file = await attachments.downloadFile(param(req, 'id'), param(req, 'fileId'), req.body, staffActor(res), originOf(req));
      res
        .status(200)
        .set('Content-Type', 'application/octet-stream')
        .set('Content-Disposition', attachmentDisposition(file.name))
        .set('Content-Length', String(file.bytes.length))
        .set('Cache-Control', 'no-store')
        .set('Pragma', 'no-cache')
        .set('X-Content-Type-Options', 'nosniff');
      const bytes = file.bytes;
      try {
        await pipeline(
          Readable.from(
            (function* () {
              for (let offset = 0; offset < bytes.length; offset += DOWNLOAD_CHUNK_BYTES) {
                yield Buffer.from(bytes.subarray(offset, offset + DOWNLOAD_CHUNK_BYTES));
              }
            })(),
          ),
          res,
        );
      } finally {
        bytes.fill(0);
      }
    },
  );
  return router;
}
