/** What a vault key is for; a leaf of the keys domain: the store interface imports it, so it imports nothing. */
export type VaultKeyPurpose = 'intake' | 'signing' | 'audit';
