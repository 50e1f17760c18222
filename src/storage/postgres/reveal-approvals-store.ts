import type { RevealApprovalStore } from '../../reveal/reveal-approvals-store.js';
import { revealApprovalOf, revealApprovalParams, type RevealApprovalRow } from '../portal-rows.js';
import { allRows, bytes, changedRows, oneRow, type PgClient } from './client.js';

export function createPgRevealApprovalStore(client: PgClient): RevealApprovalStore {
  return {
    insert: async (a) => {
      const values = revealApprovalParams(a);
      values[5] = bytes(a.tokenHash);
      await client.query(
        `INSERT INTO reveal_approvals (id, credential_id, staff_id, staff_name, reason, token_hash, requested_at, link_expires_at, decision, decided_at, approved_until, refusal_told_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        values,
      );
    },
    latestFor: async (credentialId, staffId) => {
      const r = await oneRow<RevealApprovalRow>(
        client,
        'SELECT * FROM reveal_approvals WHERE credential_id = $1 AND staff_id = $2 ORDER BY requested_at DESC, id DESC LIMIT 1',
        [credentialId, staffId],
      );
      return r && revealApprovalOf(r);
    },
    latestForEach: async (credentialIds, staffId) =>
      credentialIds.length
        ? (
            await allRows<RevealApprovalRow>(
              client,
              `SELECT DISTINCT ON (credential_id) * FROM reveal_approvals WHERE credential_id = ANY($1::text[]) AND staff_id = $2
               ORDER BY credential_id, requested_at DESC, id DESC`,
              [credentialIds, staffId],
            )
          ).map(revealApprovalOf)
        : [],
    getByTokenHash: async (hash) => {
      const r = await oneRow<RevealApprovalRow>(client, 'SELECT * FROM reveal_approvals WHERE token_hash = $1', [bytes(hash)]);
      return r && revealApprovalOf(r);
    },
    decide: async (id, decision, at, approvedUntil) =>
      (await changedRows(
        client,
        'UPDATE reveal_approvals SET decision = $2, decided_at = $3, approved_until = $4 WHERE id = $1 AND decision IS NULL AND link_expires_at > $3',
        [id, decision, at, approvedUntil],
      )) === 1,
    markRefusalTold: async (id, at) => {
      await client.query('UPDATE reveal_approvals SET refusal_told_at = $2 WHERE id = $1', [id, at]);
    },
  };
}
