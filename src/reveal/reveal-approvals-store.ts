// "Ask me first" (DESIGN "Customer portal"): an engineer's request to reveal one credential, and
// the customer's decision. The approval link's token is stored as its SHA-256 only.

export type ApprovalDecision = 'approved' | 'refused';

export interface RevealApprovalRecord {
  id: string;
  credentialId: string;
  staffId: string;
  staffName: string;
  reason: string;
  tokenHash: Buffer;
  requestedAt: number;
  linkExpiresAt: number;
  decision: ApprovalDecision | null;
  decidedAt: number | null;
  approvedUntil: number | null;
  /** When the engineer's reveal was refused because of this refusal; the next reveal asks again. */
  refusalToldAt: number | null;
}

export interface RevealApprovalStore {
  insert(approval: RevealApprovalRecord): Promise<void>;
  /** The engineer's latest request for the credential. */
  latestFor(credentialId: string, staffId: string): Promise<RevealApprovalRecord | undefined>;
  /** The engineer's latest request for each of these credentials (the console's ticket page). */
  latestForEach(credentialIds: string[], staffId: string): Promise<RevealApprovalRecord[]>;
  getByTokenHash(tokenHash: Buffer): Promise<RevealApprovalRecord | undefined>;
  /** Records the decision only while there is none and the link has not expired: one decision, whoever races. */
  decide(id: string, decision: ApprovalDecision, at: number, approvedUntil: number | null): Promise<boolean>;
  markRefusalTold(id: string, at: number): Promise<void>;
}
