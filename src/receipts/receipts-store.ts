import type { Language } from '../languages/languages.js';

export interface ReceiptRecord {
  id: string;
  ticketId: string;
  intakeLinkId: string | null;
  tokenHash: Buffer;
  tokenKekId: string;
  tokenWrapped: Uint8Array;
  notifyOnReveal: boolean;
  /** "Ask me first": a reveal waits for the customer's approval (set in the portal). */
  askFirst: boolean;
  /** The language the customer last used with this receipt: their e-mails are written in it (null: DEFAULT_LANGUAGE). */
  language: Language | null;
  createdAt: number;
}

export interface ReceiptStore {
  /** A new receipt takes the preferences the portal keeps for its ticket's e-mail over its own, if any (docs/decisions/027). */
  insert(receipt: ReceiptRecord): Promise<void>;
  get(id: string): Promise<ReceiptRecord | undefined>;
  getByTokenHash(hash: Buffer): Promise<ReceiptRecord | undefined>;
  setNotifyOnReveal(id: string, value: boolean): Promise<void>;
  setLanguage(id: string, language: Language): Promise<void>;
  listPage(afterId: string, limit: number): Promise<ReceiptRecord[]>;
  rewrapToken(id: string, kekId: string, wrapped: Uint8Array): Promise<void>;
}
