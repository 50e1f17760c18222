import type { EncryptedFile, EncryptedSecret } from '../crypto/credential-cipher.js';

/** An upload as the browser sent it (sealed to the intake key), waiting for a submission to claim it. */
export interface StagedUpload {
  id: string;
  ownerId: string;
  /** The file's plaintext size, read from the envelope's length. */
  size: number;
  upload: Uint8Array;
  createdAt: number;
}

/** Staged uploads and the files of credentials (their ciphertext is written and destroyed by the credential store, with the secret). */
export interface AttachmentStore {
  stage(upload: StagedUpload): Promise<void>;
  /** How many uploads and bytes a link has waiting. */
  stagedOf(ownerId: string): Promise<{ count: number; bytes: number }>;
  /** The link's staged uploads among `ids` (another link's are never returned). */
  getStaged(ownerId: string, ids: string[]): Promise<StagedUpload[]>;
  /** Deletes the link's staged uploads among `ids`; how many it deleted. */
  claimStaged(ownerId: string, ids: string[]): Promise<number>;
  /** Destroys uploads staged before `before` that no submission claimed; how many. */
  destroyStagedBefore(before: number): Promise<number>;
  getFile(credentialId: string, fileId: string): Promise<EncryptedFile | undefined>;
  /** The file lists (with the wrapped key that opens them) of those of `credentialIds` that carry files. */
  manifestsOf(credentialIds: string[]): Promise<Array<{ credentialId: string } & Omit<EncryptedSecret, 'ciphertext'>>>;
}
