// Seeds a bench database through the vault's own domain functions (the same code HTTP calls),
// many submissions per durable commit so seeding is fast. Usage: node bench/seed.js <spec.json> <out.json>
import fs from 'node:fs';
import { parseConfig } from '../dist/config.js';
import { createLogger } from '../dist/logger.js';
import { composeVault } from '../dist/main.js';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = process.argv[3];
const config = parseConfig(process.env);
const vault = await composeVault(config, { log: createLogger('warn') });
const { db } = vault;
const started = performance.now();
const engineer = (i) => ({ type: 'staff', id: null, name: `Bench Engineer ${i}` });
const DAY = 86400000;

function inBatches(total, size, fn) {
  for (let done = 0; done < total; done += size) {
    db.transaction(() => {
      for (let i = done; i < Math.min(total, done + size); i++) fn(i);
    })();
  }
}

const fixtures = { tokens: [], liveCredentials: [], ticketIds: [], doomedTicketRefs: 'DOOM-%' };

if (spec.mode === 'topup-audit') {
  const have = db.prepare('SELECT COUNT(*) AS n FROM audit_events').get().n;
  const want = spec.auditEvents - have;
  const staff = { type: 'staff', id: 'bench', name: 'Bench Auditor' };
  inBatches(Math.max(0, want), 20000, () => vault.audit.record({ action: 'staff.login', actor: staff, origin: { ip: '127.0.0.1', userAgent: 'bench' } }));
  fs.writeFileSync(out, JSON.stringify({ auditEvents: spec.auditEvents, added: Math.max(0, want), ms: Math.round(performance.now() - started) }));
  vault.close();
  process.exit(0);
}

for (let i = 0; i < spec.engineers; i++) {
  vault.staff.addStaff({ email: `engineer${i}@bench.test`, role: 'engineer', name: `Bench Engineer ${i}` }, { actor: { type: 'system', id: null, name: 'bench seed' } });
  const member = vault.staff.findStaffByEmail(`engineer${i}@bench.test`);
  fixtures.tokens.push((await vault.staffTokens.issueStaffToken(member, 4 * 3600)).token);
}

const fields = (i) => ({ host: `ftp${i}.shop.test`, username: `vendor-${i}`, password: `pw-${i}-${'x'.repeat(16)}`, port: '22' });
const supportUntil = new Date(Date.now() + 365 * DAY).toISOString();

function seedTickets(prefix, tickets, perTicket, keepIds) {
  const links = [];
  inBatches(tickets, 500, (t) => {
    const ticket = vault.tickets.createTicket(
      { externalRef: `${prefix}-${t}`, subject: `Bench ticket ${t}: shop upload fails`, customerEmail: `customer${t}@shop.test`, customerName: `Customer ${t}`, supportUntil },
      engineer(t % spec.engineers),
    );
    const link = vault.intakeLinks.createIntakeLink(ticket.id, { ttlSeconds: 90 * 86400 }, engineer(t % spec.engineers));
    links.push({ ticketId: ticket.id, token: link.url.slice(link.url.lastIndexOf('/') + 1) });
    if (keepIds) fixtures.ticketIds.push(ticket.id);
  });
  let n = 0;
  inBatches(tickets * perTicket, 1000, (i) => {
    const link = links[Math.floor(i / perTicket)];
    const res = vault.credentials.submitCredential(link.token, { kind: 'ftp', label: `FTP ${i}`, fields: fields(i) });
    if (keepIds && fixtures.liveCredentials.length < spec.keepCredentialIds && i % 3 === 0) fixtures.liveCredentials.push(res.credentialId);
    n++;
  });
  return { links, credentials: n };
}

const live = seedTickets('LIVE', spec.liveTickets, spec.credentialsPerLiveTicket, true);
const doomed = seedTickets('DOOM', spec.doomedTickets, spec.credentialsPerDoomedTicket, false);
const intakeTicket = vault.tickets.createTicket(
  { externalRef: 'INTAKE-1', subject: 'Bench intake', customerEmail: 'intake@shop.test', supportUntil },
  engineer(0),
);
const intakeLink = vault.intakeLinks.createIntakeLink(intakeTicket.id, { ttlSeconds: 90 * 86400 }, engineer(0));
fixtures.intakeToken = intakeLink.url.slice(intakeLink.url.lastIndexOf('/') + 1);
fixtures.intakePublicKey = vault.keys.intakePublicKey;
fixtures.counts = {
  liveCredentials: live.credentials,
  doomedCredentials: doomed.credentials,
  tickets: spec.liveTickets + spec.doomedTickets + 1,
  auditEvents: db.prepare('SELECT COUNT(*) AS n FROM audit_events').get().n,
};
fixtures.seedMs = Math.round(performance.now() - started);
fs.writeFileSync(out, JSON.stringify(fixtures));
vault.close();
