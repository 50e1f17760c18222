import type { AttachmentStore, StagedUpload } from '../../attachments/attachments-store.js';
import { allRows, bytes, changedRows, oneRow, type PgClient } from './client.js';

interface StagedRow {
  id: string;
  owner_id: string;
  size: string | number;
  upload: Buffer;
  created_at: string | number;
}

const stagedOf = (r: StagedRow): StagedUpload => ({
  id: r.id,
  ownerId: r.owner_id,
  size: Number(r.size),
  upload: new Uint8Array(r.upload),
  createdAt: Number(r.created_at),
});

export function createPgAttachmentStore(client: PgClient): AttachmentStore {
  return {
    manifestsOf: async (ids) =>
      ids.length === 0
        ? []
        : (
            await allRows<{ credential_id: string; kek_id: string; wrapped_dek: Buffer; files_manifest: Buffer }>(
              client,
              'SELECT credential_id, kek_id, wrapped_dek, files_manifest FROM credential_secrets WHERE credential_id = ANY($1::text[]) AND files_manifest IS NOT NULL',
              [ids],
            )
          ).map((r) => ({ credentialId: r.credential_id, kekId: r.kek_id, wrappedDek: new Uint8Array(r.wrapped_dek), filesManifest: new Uint8Array(r.files_manifest) })),
    stage: async (u) => {
      await client.query('INSERT INTO staged_files (id, owner_id, size, upload, created_at) VALUES ($1, $2, $3, $4, $5)', [
        u.id,
        u.ownerId,
        u.size,
        bytes(u.upload),
        u.createdAt,
      ]);
    },
    stagedOf: async (ownerId) => {
      const r = (await oneRow<{ count: string; bytes: string | null }>(
        client,
        'SELECT COUNT(*) AS count, SUM(size) AS bytes FROM staged_files WHERE owner_id = $1',
        [ownerId],
      ))!;
      return { count: Number(r.count), bytes: Number(r.bytes ?? 0) };
    },
    getStaged: async (ownerId, ids) =>
      (await allRows<StagedRow>(client, 'SELECT * FROM staged_files WHERE owner_id = $1 AND id = ANY($2::text[])', [ownerId, ids])).map(stagedOf),
    claimStaged: (ownerId, ids) => changedRows(client, 'DELETE FROM staged_files WHERE owner_id = $1 AND id = ANY($2::text[])', [ownerId, ids]),
    destroyStagedBefore: (before) => changedRows(client, 'DELETE FROM staged_files WHERE created_at < $1', [before]),
    getFile: async (credentialId, fileId) => {
      const r = await oneRow<{ id: string; ciphertext: Buffer }>(client, 'SELECT id, ciphertext FROM credential_files WHERE credential_id = $1 AND id = $2', [
        credentialId,
        fileId,
      ]);
      return r && { id: r.id, ciphertext: new Uint8Array(r.ciphertext) };
    },
  };
}
