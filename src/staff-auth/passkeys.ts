import type { AuthenticationResponseJSON, AuthenticatorTransport, RegistrationResponseJSON } from '@simplewebauthn/server';
import { randomBytes } from '../crypto/random.js';
import { constantTimeEqual, hashTypedText } from '../crypto/tokens.js';
import { BadRequest } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import type { SecondFactorRecord } from './second-factors-store.js';
import type { StaffRecord } from './staff-store.js';

// WebAuthn through @simplewebauthn/server (decision 022): passkeys with user verification
// required, as a second factor or alone (discoverable). The challenge is not stored: it is a MAC'd
// note of what it is for, whom, and when it was issued; a passkey accepts only challenges issued
// after its last use (a conditional UPDATE), so a captured assertion cannot be played again.

/** How long the browser has to answer a challenge. */
export const PASSKEY_CHALLENGE_MS = 5 * 60_000;

/**
 * The WebAuthn library, loaded on the first passkey request: importing it costs ~250 ms and ~23 MB
 * (`node -e "await import('@simplewebauthn/server')"` against a bare node), which every start and
 * every vault without passkeys would otherwise pay (DESIGN: cold start < 1 s, RSS < 200 MB).
 */
let webauthn: Promise<typeof import('@simplewebauthn/server')> | undefined;
const loadWebauthn = () => (webauthn ??= import('@simplewebauthn/server'));

export type PasskeyPurpose = 'register' | 'sign_in' | 'second_factor' | 'step_up';

export interface PasskeyDeps {
  storage: Storage;
  /** Derived from the master key, like the pending sign-in key. */
  key: Uint8Array;
  publicUrl: string;
  vendorName: string;
  now: () => number;
}

/** A passkey assertion that passed: spend it with `usePasskeyAssertion` inside the transaction that acts on it. */
export interface CheckedAssertion {
  factor: SecondFactorRecord;
  newCounter: number;
  issuedAt: number;
}

const refused = () => new BadRequest('passkey_refused', 'That passkey answer was not accepted; try again.');

const transportsOf = (f: SecondFactorRecord): AuthenticatorTransport[] => (f.transports ? (JSON.parse(f.transports) as AuthenticatorTransport[]) : []);

export function createPasskeys(deps: PasskeyDeps) {
  const { storage, key, now } = deps;
  const rpID = new URL(deps.publicUrl).hostname;
  const expectedOrigin = new URL(deps.publicUrl).origin;

  const macOf = (note: string) => hashTypedText(key, `ticketvault/webauthn-challenge/v1|${note}`).toString('base64url');

  /** The challenge text: what it is for, for whom (or nobody yet), when, 16 random bytes, and a MAC over them. */
  function issueChallenge(purpose: PasskeyPurpose, staffId: string | null): string {
    const note = `${purpose}|${staffId ?? ''}|${now()}|${Buffer.from(randomBytes(16)).toString('base64url')}`;
    return `${note}|${macOf(note)}`;
  }

  /** The challenge a browser's answer signed (clientDataJSON), if we issued it for this purpose and member and it is fresh. */
  function openChallenge(clientDataJSON: unknown, purpose: PasskeyPurpose, staffId: string | null): { expected: string; issuedAt: number; staffId: string | null } | null {
    if (typeof clientDataJSON !== 'string') return null;
    let expected: unknown;
    try {
      expected = (JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown }).challenge;
    } catch {
      return null;
    }
    if (typeof expected !== 'string') return null;
    const parts = Buffer.from(expected, 'base64url').toString('utf8').split('|');
    if (parts.length !== 5) return null;
    const [kind, member, issued, , mac] = parts as [string, string, string, string, string];
    const issuedAt = Number(issued);
    if (!constantTimeEqual(Buffer.from(mac), Buffer.from(macOf(parts.slice(0, 4).join('|'))))) return null;
    if (kind !== purpose || !(now() - issuedAt < PASSKEY_CHALLENGE_MS)) return null;
    if (staffId !== null && member !== staffId) return null;
    return { expected, issuedAt, staffId: member || null };
  }

  const passkeysOf = async (staffId: string) =>
    (await storage.read((s) => s.secondFactors.listForStaff(staffId))).filter((f) => f.kind === 'passkey' && f.confirmedAt !== null);

  /** Options for navigator.credentials.create: a discoverable credential with user verification, none of theirs again. */
  async function startPasskeyRegistration(staff: StaffRecord) {
    const existing = await passkeysOf(staff.id);
    return (await loadWebauthn()).generateRegistrationOptions({
      rpName: deps.vendorName,
      rpID,
      userName: staff.email,
      userDisplayName: staff.name,
      userID: new Uint8Array(Buffer.from(staff.id)),
      challenge: issueChallenge('register', staff.id),
      attestationType: 'none',
      excludeCredentials: existing.map((f) => ({ id: Buffer.from(f.credentialId!).toString('base64url'), transports: transportsOf(f) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
  }

  /** Checks the browser's answer to a registration; the passkey to store (not yet stored). */
  async function checkPasskeyRegistration(staff: StaffRecord, response: unknown) {
    const answer = response as RegistrationResponseJSON;
    const challenge = openChallenge(answer?.response?.clientDataJSON, 'register', staff.id);
    if (!challenge) throw refused();
    let verified;
    try {
      verified = await (await loadWebauthn()).verifyRegistrationResponse({
        response: answer,
        expectedChallenge: challenge.expected,
        expectedOrigin,
        expectedRPID: rpID,
        requireUserVerification: true,
      });
    } catch {
      throw refused();
    }
    if (!verified.verified || !verified.registrationInfo) throw refused();
    const { credential } = verified.registrationInfo;
    return {
      credentialId: new Uint8Array(Buffer.from(credential.id, 'base64url')),
      publicKey: credential.publicKey,
      signCount: credential.counter,
      transports: JSON.stringify(answer.response.transports ?? []),
    };
  }

  /** Options for navigator.credentials.get: any of the vault's passkeys (sign-in alone), or the member's own. */
  async function startPasskeyAssertion(purpose: Exclude<PasskeyPurpose, 'register'>, staffId: string | null) {
    const own = staffId ? await passkeysOf(staffId) : [];
    return (await loadWebauthn()).generateAuthenticationOptions({
      rpID,
      challenge: issueChallenge(purpose, staffId),
      userVerification: 'required',
      allowCredentials: own.map((f) => ({ id: Buffer.from(f.credentialId!).toString('base64url'), transports: transportsOf(f) })),
    });
  }

  /**
   * Checks a browser's assertion for `purpose` (for `staffId`'s passkey when given). Null when it
   * does not pass; the signature work happens here, outside any transaction.
   */
  async function checkPasskeyAssertion(response: unknown, purpose: Exclude<PasskeyPurpose, 'register'>, staffId: string | null): Promise<CheckedAssertion | null> {
    const answer = response as AuthenticationResponseJSON;
    if (!answer || typeof answer.id !== 'string' || !/^[A-Za-z0-9_-]{1,1400}$/.test(answer.id)) return null;
    const challenge = openChallenge(answer.response?.clientDataJSON, purpose, staffId);
    if (!challenge) return null;
    const factor = await storage.read((s) => s.secondFactors.getByCredentialId(new Uint8Array(Buffer.from(answer.id, 'base64url'))));
    if (!factor || factor.kind !== 'passkey' || factor.confirmedAt === null) return null;
    if ((staffId ?? challenge.staffId) !== null && factor.staffId !== (staffId ?? challenge.staffId)) return null;
    try {
      const verified = await (await loadWebauthn()).verifyAuthenticationResponse({
        response: answer,
        expectedChallenge: challenge.expected,
        expectedOrigin,
        expectedRPID: rpID,
        credential: { id: answer.id, publicKey: new Uint8Array(factor.publicKey!), counter: factor.signCount ?? 0, transports: transportsOf(factor) },
        requireUserVerification: true,
      });
      return verified.verified ? { factor, newCounter: verified.authenticationInfo.newCounter, issuedAt: challenge.issuedAt } : null;
    } catch {
      return null;
    }
  }

  return { startPasskeyRegistration, checkPasskeyRegistration, startPasskeyAssertion, checkPasskeyAssertion };
}

export type Passkeys = ReturnType<typeof createPasskeys>;
