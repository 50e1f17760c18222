import { MAX_FILES } from '../attachments/attachment-limits.js';
import { z } from 'zod';
import type { Actor, Audit, Origin } from '../audit/audit.js';
import type { Clock } from '../clock.js';
import { CREDENTIAL_KINDS, KIND_SPECS } from '../credentials/credential-kinds.js';
import { hashToken, isWellFormedToken, issueToken } from '../crypto/tokens.js';
import { Conflict, Gone, NotFound } from '../errors.js';
import type { Storage, Stores } from '../storage/storage.js';
import type { TicketRecord } from '../tickets/tickets-store.js';
import { isUuid, parseInput } from '../validation.js';
import type { IntakeLinkRecord } from './intake-links-store.js';
import { newId } from '../ids.js';

export const MAX_LINK_TTL_SECONDS = 90 * 24 * 3600;

const newLinkSchema = z.strictObject({
  ttlSeconds: z.number().int().min(60).max(MAX_LINK_TTL_SECONDS).optional(),
  maxUses: z.number().int().min(1).max(1000).optional(),
});

export interface IntakeLinkDeps {
  storage: Storage;
  audit: Audit;
  clock: Clock;
  publicUrl: string;
  defaultTtlSeconds: number;
  credentialMaxAgeSeconds: number;
  vendorName: string;
  intakePublicKey: () => string;
  /** ATTACHMENT_MAX_BYTES, told to the intake page before anything is uploaded. */
  attachmentMaxBytes: number;
}

export interface UsableLink {
  link: IntakeLinkRecord;
  ticket: TicketRecord;
}

export function createIntakeLinks(deps: IntakeLinkDeps) {
  const { storage, audit, clock } = deps;

  function createIntakeLink(ticketId: string, input: unknown, actor: Actor, origin?: Origin) {
    const data = parseInput(newLinkSchema, input ?? {});
    return storage.write((s) => createIntakeLinkIn(s, ticketId, data, actor, origin));
  }

  /** Creates a link inside the caller's write transaction (a helpdesk webhook creates ticket and link together). */
  async function createIntakeLinkIn(s: Stores, ticketId: string, data: { ttlSeconds?: number; maxUses?: number }, actor: Actor, origin?: Origin) {
    const ticket = isUuid(ticketId) ? await s.tickets.get(ticketId) : undefined;
    if (!ticket) throw new NotFound('ticket_not_found', 'No ticket with that id.');
    const now = clock.now();
    if (ticket.status === 'closed') throw new Conflict('ticket_closed', 'The ticket is closed; reopen it before asking for credentials.');
    if (now >= ticket.supportUntil) throw new Conflict('support_period_ended', "The customer's support period has ended.");
    const { token, hash } = issueToken();
    const link: IntakeLinkRecord = {
      id: newId(),
      ticketId: ticket.id,
      tokenHash: hash,
      createdBy: actor.type === 'staff' ? actor.id : null,
      createdAt: now,
      // A link never outlives the support period it asks credentials for.
      expiresAt: Math.min(now + (data.ttlSeconds ?? deps.defaultTtlSeconds) * 1000, ticket.supportUntil),
      maxUses: data.maxUses ?? null,
      uses: 0,
      revokedAt: null,
    };
    await s.intakeLinks.insert(link);
    await audit.record(s, { action: 'intake_link.created', actor, origin, ticketId: ticket.id, detail: link.id });
    return { id: link.id, url: `${deps.publicUrl}/s/${token}`, expiresAt: new Date(link.expiresAt).toISOString() };
  }

  /** Revokes a link; revoking an already revoked link changes nothing. */
  function revokeIntakeLink(id: string, actor: Actor, origin?: Origin): Promise<void> {
    return storage.write(async (s) => {
      const link = isUuid(id) ? await s.intakeLinks.get(id) : undefined;
      if (!link) throw new NotFound('intake_link_not_found', 'No intake link with that id.');
      if (await s.intakeLinks.revoke(link.id, clock.now())) {
        await audit.record(s, { action: 'intake_link.revoked', actor, origin, ticketId: link.ticketId, detail: link.id });
      }
    });
  }

  /** Finds the link a token names and checks it can take a submission now; throws 404/410 otherwise. */
  async function findUsableLink(token: string, stores?: Stores): Promise<UsableLink> {
    if (!stores) return storage.read((s) => findUsableLink(token, s));
    const link = isWellFormedToken(token) ? await stores.intakeLinks.getByTokenHash(hashToken(token)) : undefined;
    const ticket = link && (await stores.tickets.get(link.ticketId));
    if (!link || !ticket) throw new NotFound('intake_link_not_found', 'This link does not exist. Ask support for a new one.');
    const now = clock.now();
    if (link.revokedAt !== null) throw new Gone('intake_link_revoked', 'This link was revoked. Ask support for a new one.');
    if (ticket.status === 'closed') throw new Gone('ticket_closed', 'The ticket is closed; this link no longer accepts credentials.');
    if (now >= ticket.supportUntil) throw new Gone('support_period_ended', 'The support period has ended; this link no longer accepts credentials.');
    if (now >= link.expiresAt) throw new Gone('intake_link_expired', 'This link has expired. Ask support for a new one.');
    if (link.maxUses !== null && link.uses >= link.maxUses) {
      throw new Gone('intake_link_used_up', 'This link has been used as many times as allowed. Ask support for a new one.');
    }
    return { link, ticket };
  }

  /** What the intake page shows. Opening a link never uses it up (mail scanners open links). */
  async function describeIntakeLink(token: string) {
    const { link, ticket } = await findUsableLink(token);
    const now = clock.now();
    return {
      ticket: { externalRef: ticket.externalRef, subject: ticket.subject },
      vendorName: deps.vendorName,
      expiresAt: new Date(link.expiresAt).toISOString(),
      credentialsExpireAt: new Date(Math.min(now + deps.credentialMaxAgeSeconds * 1000, ticket.supportUntil)).toISOString(),
      kinds: CREDENTIAL_KINDS.map((kind) => KIND_SPECS[kind]),
      publicKey: deps.intakePublicKey(),
      attachments: { maxFiles: MAX_FILES, maxBytes: deps.attachmentMaxBytes },
    };
  }

  return { createIntakeLink, createIntakeLinkIn, revokeIntakeLink, findUsableLink, describeIntakeLink };
}

export type IntakeLinks = ReturnType<typeof createIntakeLinks>;
