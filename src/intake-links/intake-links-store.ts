
export interface IntakeLinkRecord {
  id: string;
  ticketId: string;
  tokenHash: Buffer;
  createdBy: string | null;
  createdAt: number;
  expiresAt: number;
  maxUses: number | null;
  uses: number;
  revokedAt: number | null;
}

export interface IntakeLinkStore {
  insert(link: IntakeLinkRecord): Promise<void>;
  get(id: string): Promise<IntakeLinkRecord | undefined>;
  getByTokenHash(hash: Buffer): Promise<IntakeLinkRecord | undefined>;
  listByTicket(ticketId: string): Promise<IntakeLinkRecord[]>;
  revoke(id: string, at: number): Promise<boolean>;
  /**
   * Counts one use only if the link can take a submission at `now` (not revoked, not expired,
   * not used up, its ticket open and in its support period): one statement for the submission's
   * transaction. Returns the ticket's supportUntil as it is now (what bounds the submission's
   * expiry), or null when the link was not usable: the caller finds out why.
   */
  useIfUsable(id: string, now: number): Promise<number | null>;
}
