import type { Database } from './database.js';
import type { RevealApprovalStore } from '../../reveal/reveal-approvals-store.js';
import type { Sync } from '../storage.js';
import { revealApprovalOf, revealApprovalParams, type RevealApprovalRow } from '../portal-rows.js';

export function createRevealApprovalStore(db: Database): Sync<RevealApprovalStore> {
  const insert = db.prepare(
    `INSERT INTO reveal_approvals (id, credential_id, staff_id, staff_name, reason, token_hash, requested_at, link_expires_at, decision, decided_at, approved_until, refusal_told_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const latest = db.prepare<[string, string], RevealApprovalRow>(
    'SELECT * FROM reveal_approvals WHERE credential_id = ? AND staff_id = ? ORDER BY requested_at DESC, id DESC LIMIT 1',
  );
  const latestEach = db.prepare<[string, string], RevealApprovalRow>(
    `SELECT a.* FROM reveal_approvals a JOIN json_each(?) j ON j.value = a.credential_id
     WHERE a.staff_id = ? AND NOT EXISTS (
       SELECT 1 FROM reveal_approvals b WHERE b.credential_id = a.credential_id AND b.staff_id = a.staff_id AND (b.requested_at, b.id) > (a.requested_at, a.id))`,
  );
  const byHash = db.prepare<[Buffer], RevealApprovalRow>('SELECT * FROM reveal_approvals WHERE token_hash = ?');
  const decide = db.prepare(
    'UPDATE reveal_approvals SET decision = ?, decided_at = ?, approved_until = ? WHERE id = ? AND decision IS NULL AND link_expires_at > ?',
  );
  const told = db.prepare('UPDATE reveal_approvals SET refusal_told_at = ? WHERE id = ?');
  return {
    insert: (a) => {
      insert.run(...revealApprovalParams(a));
    },
    latestFor: (credentialId, staffId) => {
      const r = latest.get(credentialId, staffId);
      return r && revealApprovalOf(r);
    },
    latestForEach: (credentialIds, staffId) => (credentialIds.length ? latestEach.all(JSON.stringify(credentialIds), staffId).map(revealApprovalOf) : []),
    getByTokenHash: (hash) => {
      const r = byHash.get(hash);
      return r && revealApprovalOf(r);
    },
    decide: (id, decision, at, approvedUntil) => decide.run(decision, at, approvedUntil, id, at).changes === 1,
    markRefusalTold: (id, at) => {
      told.run(at, id);
    },
  };
}
