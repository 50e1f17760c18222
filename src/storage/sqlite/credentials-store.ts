import type { EncryptedSecret } from '../../crypto/credential-cipher.js';
import type { Database } from './database.js';
import type { TicketStatus } from '../../tickets/ticket-status.js';
import type { CredentialKind } from '../../credentials/credential-kinds.js';
import type { CredentialStatus, EndReason, TicketState } from '../../credentials/credential-states.js';
import type { CredentialRecord, CredentialRef, RevealRow, CredentialStore } from '../../credentials/credentials-store.js';
import type { Sync } from '../storage.js';
import { credentialOf as fromRaw, type CredentialRow as Raw } from '../rows.js';

interface RawReveal extends Raw {
  ticket_status: TicketStatus;
  ticket_support_until: number;
  external_ref: string;
  ask_first: number | boolean;
  kek_id: string | null;
  wrapped_dek: Buffer | null;
  ciphertext: Buffer | null;
  files_manifest: Buffer | null;
}

export function createCredentialStore(db: Database): Sync<CredentialStore> {
  const insert = db.prepare(
    `INSERT INTO credentials (id, ticket_id, receipt_id, intake_link_id, kind, label, status, ended_because,
       submitted_at, expires_at, rectified_at, ended_at, purged_at, updated_at)
     VALUES (@id, @ticketId, @receiptId, @intakeLinkId, @kind, @label, @status, @endedBecause,
       @submittedAt, @expiresAt, @rectifiedAt, @endedAt, @purgedAt, @updatedAt)`,
  );
  const insertSecret = db.prepare(
    'INSERT INTO credential_secrets (credential_id, kek_id, wrapped_dek, ciphertext, files_manifest) VALUES (?, ?, ?, ?, ?)',
  );
  const insertFile = db.prepare('INSERT INTO credential_files (id, credential_id, ciphertext) VALUES (?, ?, ?)');
  const get = db.prepare<[string], Raw>('SELECT * FROM credentials WHERE id = ?');
  const getForReveal = db.prepare<[string], RawReveal>(
    `SELECT c.*, t.status AS ticket_status, t.support_until AS ticket_support_until, t.external_ref, r.ask_first, s.kek_id, s.wrapped_dek, s.ciphertext, s.files_manifest
     FROM credentials c JOIN tickets t ON t.id = c.ticket_id JOIN receipts r ON r.id = c.receipt_id
     LEFT JOIN credential_secrets s ON s.credential_id = c.id
     WHERE c.id = ?`,
  );
  const getSecret = db.prepare<[string], { kek_id: string; wrapped_dek: Buffer; ciphertext: Buffer }>(
    'SELECT kek_id, wrapped_dek, ciphertext FROM credential_secrets WHERE credential_id = ?',
  );
  const byTicket = db.prepare<[string], Raw>('SELECT * FROM credentials WHERE ticket_id = ? ORDER BY submitted_at, id');
  const liveByTicket = db.prepare<[string], Raw>(
    `SELECT * FROM credentials WHERE ticket_id = ? AND status IN ('active', 'restricted') ORDER BY submitted_at, id`,
  );
  const byReceipt = db.prepare<[string], Raw>('SELECT * FROM credentials WHERE receipt_id = ? ORDER BY submitted_at, id');
  // Batches pick any matching rows (no ORDER BY: sorting every candidate per batch made a purge quadratic).
  const markEndedPurged = db.prepare<{ now: number; limit: number }, { id: string; ticket_id: string; receipt_id: string; ended_because: EndReason | null }>(
    `UPDATE credentials SET status = 'purged', purged_at = @now, updated_at = @now
     WHERE rowid IN (SELECT rowid FROM credentials WHERE status IN ('expired', 'revoked', 'withdrawn') LIMIT @limit)
     RETURNING id, ticket_id, receipt_id, ended_because`,
  );
  const expireAndPurgeDue = db.prepare<{ now: number; limit: number }, { id: string; ticket_id: string; receipt_id: string }>(
    `UPDATE credentials SET status = 'purged', ended_because = 'expired', ended_at = @now, purged_at = @now, updated_at = @now
     WHERE rowid IN (SELECT rowid FROM credentials WHERE status IN ('active', 'restricted') AND expires_at <= @now LIMIT @limit)
     RETURNING id, ticket_id, receipt_id`,
  );
  const deleteSecrets = db.prepare('DELETE FROM credential_secrets WHERE credential_id IN (SELECT value FROM json_each(?))');
  const deleteFilesOf = db.prepare('DELETE FROM credential_files WHERE credential_id IN (SELECT value FROM json_each(?))');
  const destroySecrets = (ids: string[]) => {
    const list = JSON.stringify(ids);
    deleteSecrets.run(list);
    deleteFilesOf.run(list);
  };
  const setStatus = db.prepare('UPDATE credentials SET status = ?, updated_at = ? WHERE id = ?');
  const end = db.prepare(
    `UPDATE credentials SET status = @status, ended_because = @because, ended_at = @at, updated_at = @at
     WHERE id = @id AND status IN ('active', 'restricted')`,
  );
  const setExpiresAt = db.prepare('UPDATE credentials SET expires_at = ?, updated_at = ? WHERE id = ?');
  const replaceSecret = db.prepare(
    'UPDATE credential_secrets SET kek_id = ?, wrapped_dek = ?, ciphertext = ?, files_manifest = ? WHERE credential_id = ?',
  );
  const markRectified = db.prepare('UPDATE credentials SET rectified_at = ?, updated_at = ? WHERE id = ?');
  const deleteSecret = db.prepare('DELETE FROM credential_secrets WHERE credential_id = ?');
  const deleteFiles = db.prepare('DELETE FROM credential_files WHERE credential_id = ?');
  const insertFiles = (id: string, secret: EncryptedSecret) => {
    for (const file of secret.files ?? []) insertFile.run(file.id, id, file.ciphertext);
  };
  const markPurged = db.prepare(
    `UPDATE credentials SET status = 'purged', purged_at = @at, updated_at = @at
     WHERE id = @id AND status IN ('expired', 'revoked', 'withdrawn')`,
  );
  const secretsPage = db.prepare<[string, number], { id: string; ticket_id: string; kind: CredentialKind; kek_id: string; wrapped_dek: Buffer; ciphertext: Buffer }>(
    `SELECT c.id, c.ticket_id, c.kind, s.kek_id, s.wrapped_dek, s.ciphertext
     FROM credential_secrets s JOIN credentials c ON c.id = s.credential_id
     WHERE s.credential_id > ? ORDER BY s.credential_id LIMIT ?`,
  );
  const rewrap = db.prepare('UPDATE credential_secrets SET kek_id = ?, wrapped_dek = ? WHERE credential_id = ?');
  const ended = db.prepare<[], { id: string; ended_because: EndReason | null }>(
    "SELECT id, ended_because FROM credentials WHERE status NOT IN ('active', 'restricted')",
  );

  return {
    insert: (record, secret) => {
      insert.run(record);
      insertSecret.run(record.id, secret.kekId, secret.wrappedDek, secret.ciphertext, secret.filesManifest ?? null);
      insertFiles(record.id, secret);
    },
    get: (id) => {
      const r = get.get(id);
      return r && fromRaw(r);
    },
    getForReveal: (id) => {
      const r = getForReveal.get(id);
      if (!r) return undefined;
      return {
        ...fromRaw(r),
        ticket: { status: r.ticket_status, supportUntil: r.ticket_support_until },
        externalRef: r.external_ref,
        askFirst: r.ask_first === true || r.ask_first === 1,
        secret:
          r.kek_id && r.wrapped_dek && r.ciphertext
            ? {
                kekId: r.kek_id,
                wrappedDek: new Uint8Array(r.wrapped_dek),
                ciphertext: new Uint8Array(r.ciphertext),
                filesManifest: r.files_manifest && new Uint8Array(r.files_manifest),
              }
            : null,
      };
    },
    getSecret: (id) => {
      const r = getSecret.get(id);
      return r && { kekId: r.kek_id, wrappedDek: new Uint8Array(r.wrapped_dek), ciphertext: new Uint8Array(r.ciphertext) };
    },
    listByTicket: (ticketId) => byTicket.all(ticketId).map(fromRaw),
    listByReceipt: (receiptId) => byReceipt.all(receiptId).map(fromRaw),
    listLiveByTicket: (ticketId) => liveByTicket.all(ticketId).map(fromRaw),
    expireAndPurgeDue: (now, limit) => {
      const rows = expireAndPurgeDue.all({ now, limit });
      if (rows.length) destroySecrets(rows.map((r) => r.id));
      return rows.map((r) => ({ id: r.id, ticketId: r.ticket_id, receiptId: r.receipt_id }));
    },
    purgeEnded: (now, limit) => {
      const rows = markEndedPurged.all({ now, limit });
      if (rows.length) destroySecrets(rows.map((r) => r.id));
      return rows.map((r) => ({ id: r.id, ticketId: r.ticket_id, receiptId: r.receipt_id, endedBecause: r.ended_because }));
    },
    setStatus: (id, status, at) => {
      setStatus.run(status, at, id);
    },
    end: (id, status, because, at) => end.run({ id, status, because, at }).changes === 1,
    setExpiresAt: (id, expiresAt, at) => {
      setExpiresAt.run(expiresAt, at, id);
    },
    replaceSecret: (id, secret, at) => {
      replaceSecret.run(secret.kekId, secret.wrappedDek, secret.ciphertext, secret.filesManifest ?? null, id);
      // The old files were under the old data key: destroyed with it, whatever replaces them.
      deleteFiles.run(id);
      insertFiles(id, secret);
      markRectified.run(at, at, id);
    },
    purge: (id, at) => {
      // Only an ended credential loses its secret: a live one must never be left without it.
      if (markPurged.run({ id, at }).changes !== 1) return false;
      deleteSecret.run(id);
      deleteFiles.run(id);
      return true;
    },
    listEnded: () => ended.all().map((r) => ({ id: r.id, endedBecause: r.ended_because })),
    listSecretsPage: (afterId, limit) =>
      secretsPage.all(afterId, limit).map((r) => ({
        id: r.id,
        ticketId: r.ticket_id,
        kind: r.kind,
        kekId: r.kek_id,
        wrappedDek: new Uint8Array(r.wrapped_dek),
        ciphertext: new Uint8Array(r.ciphertext),
      })),
    rewrapSecret: (id, kekId, wrappedDek) => {
      rewrap.run(kekId, wrappedDek, id);
    },
  };
}
