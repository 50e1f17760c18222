import type { AttachmentStore, StagedUpload } from '../../attachments/attachments-store.js';
import type { Sync } from '../storage.js';
import type { Database } from './database.js';

interface StagedRow {
  id: string;
  owner_id: string;
  size: number;
  upload: Buffer;
  created_at: number;
}

const stagedOf = (r: StagedRow): StagedUpload => ({
  id: r.id,
  ownerId: r.owner_id,
  size: r.size,
  upload: new Uint8Array(r.upload),
  createdAt: r.created_at,
});

export function createAttachmentStore(db: Database): Sync<AttachmentStore> {
  const stage = db.prepare('INSERT INTO staged_files (id, owner_id, size, upload, created_at) VALUES (@id, @ownerId, @size, @upload, @createdAt)');
  const totals = db.prepare<[string], { count: number; bytes: number | null }>('SELECT COUNT(*) AS count, SUM(size) AS bytes FROM staged_files WHERE owner_id = ?');
  const getStaged = db.prepare<[string, string], StagedRow>('SELECT * FROM staged_files WHERE owner_id = ? AND id IN (SELECT value FROM json_each(?))');
  const claim = db.prepare('DELETE FROM staged_files WHERE owner_id = ? AND id IN (SELECT value FROM json_each(?))');
  const destroyBefore = db.prepare('DELETE FROM staged_files WHERE created_at < ?');
  const getFile = db.prepare<[string, string], { id: string; ciphertext: Buffer }>('SELECT id, ciphertext FROM credential_files WHERE credential_id = ? AND id = ?');
  const manifests = db.prepare<[string], { credential_id: string; kek_id: string; wrapped_dek: Buffer; files_manifest: Buffer }>(
    'SELECT credential_id, kek_id, wrapped_dek, files_manifest FROM credential_secrets WHERE credential_id IN (SELECT value FROM json_each(?)) AND files_manifest IS NOT NULL',
  );
  return {
    manifestsOf: (ids) =>
      ids.length === 0
        ? []
        : manifests.all(JSON.stringify(ids)).map((r) => ({
            credentialId: r.credential_id,
            kekId: r.kek_id,
            wrappedDek: new Uint8Array(r.wrapped_dek),
            filesManifest: new Uint8Array(r.files_manifest),
          })),
    stage: (upload) => {
      stage.run(upload);
    },
    stagedOf: (ownerId) => {
      const r = totals.get(ownerId)!;
      return { count: r.count, bytes: r.bytes ?? 0 };
    },
    getStaged: (ownerId, ids) => getStaged.all(ownerId, JSON.stringify(ids)).map(stagedOf),
    claimStaged: (ownerId, ids) => claim.run(ownerId, JSON.stringify(ids)).changes,
    destroyStagedBefore: (before) => destroyBefore.run(before).changes,
    getFile: (credentialId, fileId) => {
      const r = getFile.get(credentialId, fileId);
      return r && { id: r.id, ciphertext: new Uint8Array(r.ciphertext) };
    },
  };
}
