// How a staff session began and why it ended: a leaf the store interfaces import, so it imports nothing.

export type SessionMethod = 'password' | 'oidc' | 'password+totp' | 'password+recovery' | 'passkey';
export type SessionEndReason = 'logout' | 'replaced' | 'staff_disabled' | 'password_changed' | 'tokens_revoked';
