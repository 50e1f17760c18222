import type { ConsoleStrings } from '../console-strings.js';
import { callApi } from './console-api.js';

interface VerifyResult {
  ok: boolean;
  count: number;
  headHash: string;
  firstBadSeq?: number;
  problem?: string;
}

/** The audit page shows whether the hash chain verifies, checked when the page opens. */
export function startAuditPage(t: ConsoleStrings): void {
  const box = document.querySelector<HTMLElement>('#chain-status');
  const text = box?.querySelector<HTMLElement>('[data-chain-text]');
  if (!box || !text) return;
  void callApi('GET', '/audit/verify').then((result) => {
    if (!result.ok) {
      box.dataset.state = 'error';
      text.textContent = t.audit.verifyFailed;
      return;
    }
    const v = result.body as VerifyResult;
    box.dataset.state = v.ok ? 'ok' : 'broken';
    text.textContent = v.ok ? t.audit.verifyOk(v.count, v.headHash.slice(0, 16)) : t.audit.verifyBroken(v.firstBadSeq ?? 0, v.problem ?? '');
    text.title = v.headHash;
  });
}
