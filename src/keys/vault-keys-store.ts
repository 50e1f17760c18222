import type { VaultKeyPurpose } from './vault-key-purposes.js';

export interface VaultKeyRow {
  id: string;
  purpose: VaultKeyPurpose;
  kekId: string;
  wrapped: Uint8Array;
  publicKey: Uint8Array | null;
  createdAt: number;
  retiredAt: number | null;
}

export interface VaultKeyStore {
  list(purpose: VaultKeyPurpose): Promise<VaultKeyRow[]>;
  /**
   * The purpose's newest key not retired, read again only when the database may have changed
   * since (another process committed, or this store wrote): cheap enough for every request.
   */
  current(purpose: VaultKeyPurpose): Promise<VaultKeyRow | undefined>;
  listAll(): Promise<VaultKeyRow[]>;
  insert(row: VaultKeyRow): Promise<void>;
  retire(id: string, at: number): Promise<void>;
  rewrap(id: string, kekId: string, wrapped: Uint8Array): Promise<void>;
  deleteRetiredBefore(purpose: VaultKeyPurpose, before: number): Promise<number>;
}
