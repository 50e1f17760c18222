// A leaf of the staff-auth domain (types only): the storage backends implement it.

export type SecondFactorKind = 'totp' | 'passkey';

export interface SecondFactorRecord {
  id: string;
  staffId: string;
  kind: SecondFactorKind;
  /** The member's own label ("Phone", "YubiKey"): people's text, never audited. */
  name: string;
  /** TOTP: the secret, wrapped under the master key `kekId`. */
  kekId: string | null;
  secretWrapped: Uint8Array | null;
  /** TOTP: the last time step whose code was accepted; a code of it or an earlier step is refused. */
  lastStep: number | null;
  /** Passkey: the WebAuthn credential id, its COSE public key, signature counter and transports (JSON). */
  credentialId: Uint8Array | null;
  publicKey: Uint8Array | null;
  signCount: number | null;
  transports: string | null;
  /** Null while a TOTP enrolment waits for its first code: such a factor counts for nothing. */
  confirmedAt: number | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface SecondFactorStore {
  insert(factor: SecondFactorRecord): Promise<void>;
  get(id: string): Promise<SecondFactorRecord | undefined>;
  getByCredentialId(credentialId: Uint8Array): Promise<SecondFactorRecord | undefined>;
  /** The member's factors, oldest first, unconfirmed ones included. */
  listForStaff(staffId: string): Promise<SecondFactorRecord[]>;
  /** How many confirmed factors each of these members has (members with none are absent). */
  countConfirmed(staffIds: string[]): Promise<Map<string, number>>;
  /** Marks a TOTP factor confirmed with the step of the code that confirmed it. */
  confirm(id: string, step: number, at: number): Promise<boolean>;
  /** Takes a TOTP step if it is later than the last one used: false when that code (or a later one) was already used. */
  useStep(id: string, step: number, at: number): Promise<boolean>;
  /**
   * Takes a passkey assertion whose challenge was issued after the passkey's last use, with its new
   * signature counter: false when that challenge (or a later one's use) came first, so an answer is never taken twice.
   */
  usePasskey(id: string, signCount: number, issuedAt: number, at: number): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Unconfirmed TOTP enrolments of a member (a new enrolment replaces a forgotten one). */
  deleteUnconfirmed(staffId: string): Promise<number>;
  deleteAllForStaff(staffId: string): Promise<number>;
  /** TOTP factors after `after` in id order, for re-wrapping under a new master key. */
  listWrappedPage(after: string, limit: number): Promise<SecondFactorRecord[]>;
  rewrap(id: string, kekId: string, secretWrapped: Uint8Array): Promise<void>;

  /** Voids every recovery code of the member and stores these hashes instead. */
  replaceRecoveryCodes(staffId: string, codeHashes: Buffer[], at: number): Promise<void>;
  /** Spends an unused code: false when it is not one of theirs or was used already. */
  useRecoveryCode(staffId: string, codeHash: Buffer, at: number): Promise<boolean>;
  countRecoveryCodesLeft(staffId: string): Promise<number>;
  deleteRecoveryCodes(staffId: string): Promise<number>;
}

/** Vault-wide settings changed from the console, shared by every instance. */
export interface VaultSettingStore {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string, at: number): Promise<void>;
}
