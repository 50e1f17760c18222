import type { Language } from '../languages/languages.js';
import type { Portal } from '../portal/portal.js';
import type { RevealApprovals } from '../reveal/reveal-approvals.js';
import { eta, frame, receiptCredentialView, timeView } from './pages.js';

// The customer portal's pages (DESIGN "Customer portal"): plain forms that post to the portal
// itself, so they work without the page script; the script only shows times in the reader's zone.
// Their Referrer-Policy is same-origin: a form post must carry Origin for the CSRF check.

export type PortalView = Awaited<ReturnType<Portal['viewPortal']>>;
export type ApprovalDescription = Awaited<ReturnType<RevealApprovals['describeRevealApproval']>>;

export type PortalDone = 'withdraw' | 'withdrawAll' | 'restrict' | 'unrestrict' | 'preferences';

const portalFrame = (language: Language) => ({ ...frame(language, 'portal'), referrer: 'same-origin' });

/** The e-mail form; `sent`: the answer after a request, the same whether the address is known or not. */
export function renderPortalSignInPage(vendorName: string, language: Language, state: { sent?: boolean; invalid?: boolean; email?: string } = {}): string {
  const f = portalFrame(language);
  return eta.render('./portal-sign-in', { ...f, title: f.t('portal.title', { vendor: vendorName }), vendorName, tag: f.t('portal.tag'), ...state });
}

/** Opening a mailed sign-in link shows a button: a mail scanner's GET does not use the link up. */
export function renderPortalLinkPage(vendorName: string, language: Language): string {
  const f = portalFrame(language);
  return eta.render('./portal-link', { ...f, title: f.t('portal.title', { vendor: vendorName }), vendorName, tag: f.t('portal.tag') });
}

export function renderPortalPage(view: PortalView, language: Language, done: PortalDone | null): string {
  const f = portalFrame(language);
  const { m } = f;
  return eta.render('./portal', {
    ...f,
    title: m.t('portal.title', { vendor: view.vendorName }),
    vendorName: view.vendorName,
    tag: m.t('portal.tag'),
    email: view.email,
    preferences: view.preferences,
    done: done ? m.t(`portal.done.${done}`) : '',
    // Everything not yet destroyed can be withdrawn at once (issue 17: "withdraws all they sent from one place").
    withdrawable: view.tickets.reduce((n, t) => n + t.credentials.filter((c) => c.status !== 'purged').length, 0),
    tickets: view.tickets.map((t, i) => ({
      headingId: `ticket-${i}`,
      externalRef: t.externalRef,
      subject: t.subject,
      open: t.status === 'open',
      credentials: t.credentials.map((c) => receiptCredentialView(m, c)),
    })),
  });
}

export function renderApprovalPage(view: ApprovalDescription, vendorName: string, language: Language, decided: 'approved' | 'refused' | null = null): string {
  const f = portalFrame(language);
  const { m } = f;
  return eta.render('./portal-approval', {
    ...f,
    title: m.t('portal.approval.title', { vendor: vendorName }),
    vendorName,
    tag: m.t('portal.tag'),
    view,
    kindTitle: m.maybe(`kinds.${view.credential.kind}.title`) ?? view.credential.kind,
    requestedAt: timeView(m, view.requestedAt),
    linkExpiresAt: timeView(m, view.linkExpiresAt),
    approvedUntil: view.approvedUntil ? timeView(m, view.approvedUntil) : null,
    decided,
  });
}

/** A portal link that does not exist (404), no longer works (410), or was asked for too often (429). */
export function renderPortalProblemPage(status: number, vendorName: string, language: Language): string {
  const f = portalFrame(language);
  const { m } = f;
  const key = status === 404 ? 'notFound' : status === 410 ? 'gone' : status === 429 ? 'tooMany' : status === 409 ? 'decided' : 'error';
  const problem = { heading: m.t(`portal.problems.${key}.heading` as never), text: m.t(`portal.problems.${key}.text` as never) };
  return eta.render('./problem', { ...f, title: problem.heading, vendorName, tag: m.t('portal.tag'), problem, retry: true });
}
