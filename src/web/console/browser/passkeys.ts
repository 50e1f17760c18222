import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { callApi, type ApiResult } from './console-api.js';

// The browser half of passkeys (@simplewebauthn/browser, bundled with the console): fetch the
// server's options, let the browser and the authenticator answer, hand the answer back.

export const passkeysWork = (): boolean => browserSupportsWebAuthn();

/** The prompt was closed or the authenticator refused: said as a problem of its own. */
const cancelled: ApiResult = { ok: false, status: 400, code: 'passkey_cancelled', body: null, retryAfter: 0, fields: [] };

export type PasskeyAnswer = { response: unknown } | { failed: ApiResult };

/** Uses a passkey for the options that `optionsPath` answers (sign-in, second step, step-up). */
export async function answerWithPasskey(optionsPath: string, body: unknown = {}): Promise<PasskeyAnswer> {
  const options = await callApi('POST', optionsPath, body);
  if (!options.ok) return { failed: options };
  try {
    return { response: await startAuthentication({ optionsJSON: options.body as Parameters<typeof startAuthentication>[0]['optionsJSON'] }) };
  } catch {
    return { failed: cancelled };
  }
}

/** Creates a passkey for the signed-in member from the server's registration options. */
export async function createPasskey(): Promise<PasskeyAnswer> {
  const options = await callApi('POST', '/account/passkeys/options', {});
  if (!options.ok) return { failed: options };
  try {
    return { response: await startRegistration({ optionsJSON: options.body as Parameters<typeof startRegistration>[0]['optionsJSON'] }) };
  } catch {
    return { failed: cancelled };
  }
}
