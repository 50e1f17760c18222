import type { AuditEvent } from '../../audit/audit.js';
import type { ConsoleStrings } from './console-strings.js';

// An audit event's `detail` is a machine note: a code, an id, or a small JSON object. The console
// says it in words; the export keeps the note as it was written.

type DetailWords = ConsoleStrings['audit']['detailWords'];

export function auditDetailWords(t: ConsoleStrings, event: Pick<AuditEvent, 'action' | 'detail'>): string {
  const { action, detail } = event;
  if (!detail) return '';
  const w = t.audit.detailWords;
  if (detail === 'portal') return w.inPortal;
  switch (action) {
    case 'credential.submitted':
      return t.kinds[detail]?.title ?? detail;
    case 'credential.expired':
    case 'credential.revoked':
    case 'credential.withdrawn':
    case 'credential.purged':
      return w.ended[detail] ?? detail;
    case 'credential.reveal_denied':
      return w.denied[detail] ?? detail;
    case 'staff.login':
      return w.signIn[detail] ?? detail;
    case 'staff.login_failed':
      return w.signInFailed[detail] ?? (detail.startsWith('sso_link_refused') ? w.ssoNotLinked : detail.startsWith('oidc_') ? w.ssoRefused : detail);
    case 'credential.reveal_approved':
    case 'credential.reveal_refused':
    case 'intake_link.created':
    case 'intake_link.revoked':
      return ''; // the link's id: the row's ticket already says which link it was
    case 'keys.rotated':
      return rotationWords(w, detail);
    case 'ticket.changed':
      return ticketChangeWords(w, detail);
    default:
      return action.startsWith('staff.') ? staffChangeWords(t, detail) : detail;
  }
}

const parsed = (detail: string): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(detail);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** `{staffId, email, role?, changed?, relinked?}` → "sam@vendor.test: role Engineer → Auditor". */
function staffChangeWords(t: ConsoleStrings, detail: string): string {
  const note = parsed(detail);
  if (!note) return detail;
  const w = t.audit.detailWords;
  const roleTitle = (role: unknown) => t.roles[String(role)] ?? String(role);
  const role = note.role as { from?: unknown; to?: unknown } | string | undefined;
  const changes = [
    typeof role === 'string' && w.roleAs(roleTitle(role)),
    role && typeof role === 'object' && w.roleChanged(roleTitle(role.from), roleTitle(role.to)),
    Array.isArray(note.changed) && note.changed.includes('name') && w.nameChanged,
    note.relinked === true && w.relinked,
    typeof note.change === 'string' && (w.mfaChange[note.change] ?? note.change),
    typeof note.mfaRequired === 'boolean' && (note.mfaRequired ? w.mfaRequiredOn : w.mfaRequiredOff),
  ].filter((part): part is string => Boolean(part));
  const who = typeof note.email === 'string' ? note.email : '';
  return [who, changes.join(', ')].filter(Boolean).join(': ');
}

function rotationWords(w: DetailWords, detail: string): string {
  const rewrapped = parsed(detail)?.rewrapped as { dataKeys?: unknown } | undefined;
  return typeof rewrapped?.dataKeys === 'number' ? w.rotated(rewrapped.dataKeys) : detail;
}

/** `{changed: [...], supportUntil?: {from, to}}` → "Changed: subject, support period; support until 2027-12-03 → 2028-06-30". */
function ticketChangeWords(w: DetailWords, detail: string): string {
  const note = parsed(detail);
  if (!note || !Array.isArray(note.changed)) return detail;
  const period = note.supportUntil as { from?: unknown; to?: unknown } | undefined;
  return [w.ticketChanged(note.changed.map((name) => w.ticketFields[String(name)] ?? String(name))), period && w.periodMoved(String(period.from), String(period.to))]
    .filter(Boolean)
    .join('; ');
}
