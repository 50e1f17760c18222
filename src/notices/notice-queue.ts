// The port through which domain code queues notices: a leaf the outbox store interface extends, so it imports nothing.

export type NoticeKind = 'reveal' | 'submission' | 'destruction';

export interface QueuedNotice {
  ticketId: string;
  credentialId: string;
  receiptId: string;
  at: number;
}

/** What domain code needs to queue a notice inside its own write transaction. */
export interface NoticeQueue {
  /** Queued only while the receipt has reveal notices on; the audit row says who, when and why. */
  queueRevealNotice(notice: QueuedNotice & { auditSeq: number }): Promise<void>;
  queueSubmissionNotice(notice: QueuedNotice): Promise<void>;
  queueDestructionNotice(notice: QueuedNotice): Promise<void>;
  /** The same for many credentials in one statement (a purge batch), in the given order. */
  queueDestructionNotices(notices: readonly QueuedNotice[]): Promise<void>;
}
