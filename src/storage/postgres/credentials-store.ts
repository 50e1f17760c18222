import type { CredentialKind } from '../../credentials/credential-kinds.js';
import type { EncryptedSecret } from '../../crypto/credential-cipher.js';
import type { EndReason } from '../../credentials/credential-states.js';
import type { CredentialStore } from '../../credentials/credentials-store.js';
import type { TicketStatus } from '../../tickets/ticket-status.js';
import { credentialOf, type CredentialRow } from '../rows.js';
import { allRows, bytes, changedRows, oneRow, type PgClient } from './client.js';

interface RawReveal extends CredentialRow {
  ticket_status: TicketStatus;
  ticket_support_until: number;
  external_ref: string;
  ask_first: number | boolean;
  kek_id: string | null;
  wrapped_dek: Buffer | null;
  ciphertext: Buffer | null;
  files_manifest: Buffer | null;
}

/**
 * Ends and destroys in one statement: `claim` picks up to $2 rows and locks them, skipping rows
 * another instance's purge holds (so each credential is purged once), `ended` marks them, and
 * the secrets go in the same statement. A row changed meanwhile is re-checked against `claim`'s
 * WHERE after its lock is granted (READ COMMITTED), so a credential revoked or purged by another
 * transaction is not taken twice.
 */
const endAndDestroy = (claimWhere: string, set: string, returning: string) =>
  `WITH claim AS (
     SELECT id FROM credentials WHERE ${claimWhere} LIMIT $2 FOR UPDATE SKIP LOCKED
   ), ended AS (
     UPDATE credentials c SET ${set} FROM claim WHERE c.id = claim.id RETURNING ${returning}
   ), destroyed AS (
     DELETE FROM credential_secrets s USING ended WHERE s.credential_id = ended.id
   ), files_destroyed AS (
     DELETE FROM credential_files f USING ended WHERE f.credential_id = ended.id
   )
   SELECT * FROM ended`;

const EXPIRE_AND_PURGE_DUE = endAndDestroy(
  `status IN ('active', 'restricted') AND expires_at <= $1`,
  `status = 'purged', ended_because = 'expired', ended_at = $1, purged_at = $1, updated_at = $1`,
  'c.id, c.ticket_id, c.receipt_id',
);
const PURGE_ENDED = endAndDestroy(
  `status IN ('expired', 'revoked', 'withdrawn')`,
  `status = 'purged', purged_at = $1, updated_at = $1`,
  'c.id, c.ticket_id, c.receipt_id, c.ended_because',
);

export function createPgCredentialStore(client: PgClient): CredentialStore {
  const insertFiles = async (id: string, secret: EncryptedSecret) => {
    for (const file of secret.files ?? []) {
      await client.query('INSERT INTO credential_files (id, credential_id, ciphertext) VALUES ($1, $2, $3)', [file.id, id, bytes(file.ciphertext)]);
    }
  };
  return {
    insert: async (record, secret) => {
      await client.query(
        `WITH credential AS (
           INSERT INTO credentials (id, ticket_id, receipt_id, intake_link_id, kind, label, status, ended_because,
             submitted_at, expires_at, rectified_at, ended_at, purged_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           RETURNING id
         )
         INSERT INTO credential_secrets (credential_id, kek_id, wrapped_dek, ciphertext, files_manifest) SELECT id, $15, $16, $17, $18 FROM credential`,
        [
          record.id, record.ticketId, record.receiptId, record.intakeLinkId, record.kind, record.label, record.status, record.endedBecause,
          record.submittedAt, record.expiresAt, record.rectifiedAt, record.endedAt, record.purgedAt, record.updatedAt,
          secret.kekId, bytes(secret.wrappedDek), bytes(secret.ciphertext), secret.filesManifest ? bytes(secret.filesManifest) : null,
        ],
      );
      await insertFiles(record.id, secret);
    },
    get: async (id) => {
      const r = await oneRow<CredentialRow>(client, 'SELECT * FROM credentials WHERE id = $1', [id]);
      return r && credentialOf(r);
    },
    getForReveal: async (id) => {
      const r = await oneRow<RawReveal>(
        client,
        `SELECT c.*, t.status AS ticket_status, t.support_until AS ticket_support_until, t.external_ref, r.ask_first, s.kek_id, s.wrapped_dek, s.ciphertext, s.files_manifest
         FROM credentials c JOIN tickets t ON t.id = c.ticket_id JOIN receipts r ON r.id = c.receipt_id
         LEFT JOIN credential_secrets s ON s.credential_id = c.id
         WHERE c.id = $1`,
        [id],
      );
      if (!r) return undefined;
      return {
        ...credentialOf(r),
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
    getSecret: async (id) => {
      const r = await oneRow<{ kek_id: string; wrapped_dek: Buffer; ciphertext: Buffer }>(
        client,
        'SELECT kek_id, wrapped_dek, ciphertext FROM credential_secrets WHERE credential_id = $1',
        [id],
      );
      return r && { kekId: r.kek_id, wrappedDek: new Uint8Array(r.wrapped_dek), ciphertext: new Uint8Array(r.ciphertext) };
    },
    listByTicket: async (ticketId) =>
      (await allRows<CredentialRow>(client, 'SELECT * FROM credentials WHERE ticket_id = $1 ORDER BY submitted_at, id', [ticketId])).map(credentialOf),
    listByReceipt: async (receiptId) =>
      (await allRows<CredentialRow>(client, 'SELECT * FROM credentials WHERE receipt_id = $1 ORDER BY submitted_at, id', [receiptId])).map(credentialOf),
    listLiveByTicket: async (ticketId) =>
      (
        await allRows<CredentialRow>(
          client,
          `SELECT * FROM credentials WHERE ticket_id = $1 AND status IN ('active', 'restricted') ORDER BY submitted_at, id`,
          [ticketId],
        )
      ).map(credentialOf),
    expireAndPurgeDue: async (now, limit) =>
      (await allRows<{ id: string; ticket_id: string; receipt_id: string }>(client, EXPIRE_AND_PURGE_DUE, [now, limit])).map((r) => ({
        id: r.id,
        ticketId: r.ticket_id,
        receiptId: r.receipt_id,
      })),
    purgeEnded: async (now, limit) =>
      (await allRows<{ id: string; ticket_id: string; receipt_id: string; ended_because: EndReason | null }>(client, PURGE_ENDED, [now, limit])).map(
        (r) => ({ id: r.id, ticketId: r.ticket_id, receiptId: r.receipt_id, endedBecause: r.ended_because }),
      ),
    setStatus: async (id, status, at) => {
      await client.query('UPDATE credentials SET status = $2, updated_at = $3 WHERE id = $1', [id, status, at]);
    },
    end: async (id, status, because, at) =>
      (await changedRows(
        client,
        `UPDATE credentials SET status = $2, ended_because = $3, ended_at = $4, updated_at = $4
         WHERE id = $1 AND status IN ('active', 'restricted')`,
        [id, status, because, at],
      )) === 1,
    setExpiresAt: async (id, expiresAt, at) => {
      await client.query('UPDATE credentials SET expires_at = $2, updated_at = $3 WHERE id = $1', [id, expiresAt, at]);
    },
    replaceSecret: async (id, secret, at) => {
      await client.query(
        `WITH secret AS (
           UPDATE credential_secrets SET kek_id = $2, wrapped_dek = $3, ciphertext = $4, files_manifest = $6 WHERE credential_id = $1
         ), old_files AS (
           DELETE FROM credential_files WHERE credential_id = $1
         )
         UPDATE credentials SET rectified_at = $5, updated_at = $5 WHERE id = $1`,
        [id, secret.kekId, bytes(secret.wrappedDek), bytes(secret.ciphertext), at, secret.filesManifest ? bytes(secret.filesManifest) : null],
      );
      // The old files were under the old data key: destroyed with it, whatever replaces them.
      await insertFiles(id, secret);
    },
    // Only an ended credential loses its secret (a live one must never be left without it): the
    // mark and the DELETE are one statement, and the row lock makes a second purge find it purged.
    purge: async (id, at) =>
      (await changedRows(
        client,
        `WITH ended AS (
           UPDATE credentials SET status = 'purged', purged_at = $2, updated_at = $2
           WHERE id = $1 AND status IN ('expired', 'revoked', 'withdrawn') RETURNING id
         ), destroyed AS (
           DELETE FROM credential_secrets s USING ended WHERE s.credential_id = ended.id
         ), files_destroyed AS (
           DELETE FROM credential_files f USING ended WHERE f.credential_id = ended.id
         )
         SELECT id FROM ended`,
        [id, at],
      )) === 1,
    listEnded: async () =>
      (
        await allRows<{ id: string; ended_because: EndReason | null }>(
          client,
          "SELECT id, ended_because FROM credentials WHERE status NOT IN ('active', 'restricted')",
        )
      ).map((r) => ({ id: r.id, endedBecause: r.ended_because })),
    listSecretsPage: async (afterId, limit) =>
      (
        await allRows<{ id: string; ticket_id: string; kind: CredentialKind; kek_id: string; wrapped_dek: Buffer; ciphertext: Buffer }>(
          client,
          `SELECT c.id, c.ticket_id, c.kind, s.kek_id, s.wrapped_dek, s.ciphertext
           FROM credential_secrets s JOIN credentials c ON c.id = s.credential_id
           WHERE s.credential_id > $1 ORDER BY s.credential_id LIMIT $2`,
          [afterId, limit],
        )
      ).map((r) => ({
        id: r.id,
        ticketId: r.ticket_id,
        kind: r.kind,
        kekId: r.kek_id,
        wrappedDek: new Uint8Array(r.wrapped_dek),
        ciphertext: new Uint8Array(r.ciphertext),
      })),
    rewrapSecret: async (id, kekId, wrappedDek) => {
      await client.query('UPDATE credential_secrets SET kek_id = $2, wrapped_dek = $3 WHERE credential_id = $1', [id, kekId, bytes(wrappedDek)]);
    },
  };
}
