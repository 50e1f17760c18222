// One field takes either kind of second factor, as people have it to hand: the 6 digits their
// app shows, or one of their recovery codes.

/** Six digits (a space in the middle allowed) is an authenticator code; anything else a recovery code. */
export function proofOf(typed: string): { code: string } | { recoveryCode: string } {
  const value = typed.trim();
  return /^\d{3}\s?\d{3}$/.test(value) ? { code: value.replace(/\s/g, '') } : { recoveryCode: value };
}
