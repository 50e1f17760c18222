// Seeds a bench database through the vault's own domain functions (the same code HTTP calls), on
// either backend (DATABASE_URL set → PostgreSQL). Usage: node bench/seed.js <spec.json> <out.json>
//
// Fast without skipping the domain:
// - tickets and their intake links: `createTicketIn` / `createIntakeLinkIn` (what a helpdesk
//   webhook calls), 500 per write transaction, so one durable commit per 500 tickets;
// - credentials: `submitCredential`, 500 at a time with Promise.all, so on SQLite concurrent
//   submissions share one transaction and one fsync (group commit, up to its unit limit); on
//   PostgreSQL each is its own transaction, serialized by the audit chain's advisory lock;
// - the audit top-up: `audit.recordMany` inside `storage.write`, 20 000 rows per transaction.
// Durability: SQLite keeps `synchronous=FULL` here as in `serve` (the seed cannot reach its
// connection's pragmas; concurrency is what makes it fast). On PostgreSQL, bench/run.js hands this
// process a DATABASE_URL whose connections (this process's own sessions only) run with
// `synchronous_commit = off`: a crash while seeding loses the last commits of a throwaway bench
// database, never what `serve` commits later (its sessions keep the server's default, on).
import fs from 'node:fs';
import { parseConfig } from '../dist/config.js';
import { createLogger } from '../dist/logger.js';
import { composeVault } from '../dist/main.js';
import { newTicketSchema } from '../dist/tickets/tickets.js';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = process.argv[3];
const config = parseConfig(process.env);
const vault = await composeVault(config, { log: createLogger('warn') });
const { storage } = vault;
const started = performance.now();
const engineer = (i) => ({ type: 'staff', id: null, name: `Bench Engineer ${i}` });
const DAY = 86400000;
const auditCount = () => storage.read((s) => s.audit.maxSeq());

/** Runs fn(i) for i in [0, total), `size` at a time concurrently. */
async function concurrently(total, size, fn) {
  for (let done = 0; done < total; done += size) {
    const batch = [];
    for (let i = done; i < Math.min(total, done + size); i++) batch.push(fn(i));
    await Promise.all(batch);
  }
}

const fixtures = { tokens: [], liveCredentials: [], ticketIds: [], doomedGroups: [], backend: storage.backend };

if (spec.mode === 'topup-audit') {
  const want = Math.max(0, spec.auditEvents - (await auditCount()));
  const staff = { type: 'staff', id: 'bench', name: 'Bench Auditor' };
  const entry = { action: 'staff.login', actor: staff, origin: { ip: '127.0.0.1', userAgent: 'bench' } };
  for (let done = 0; done < want; done += 20000) {
    const entries = Array.from({ length: Math.min(20000, want - done) }, () => entry);
    await storage.write(async (s) => vault.audit.recordMany(s, entries));
  }
  fs.writeFileSync(out, JSON.stringify({ auditEvents: spec.auditEvents, added: want, ms: Math.round(performance.now() - started) }));
  await vault.close();
  process.exit(0);
}

const system = { actor: { type: 'system', id: null, name: 'bench seed' } };
for (let i = 0; i < spec.engineers; i++) {
  await vault.staff.addStaff({ email: `engineer${i}@bench.test`, role: 'engineer', name: `Bench Engineer ${i}` }, system);
  const member = await vault.staff.findStaffByEmail(`engineer${i}@bench.test`);
  fixtures.tokens.push((await vault.staffTokens.issueStaffToken(member, 4 * 3600)).token);
}

const fields = (i) => ({ host: `ftp${i}.shop.test`, username: `vendor-${i}`, password: `pw-${i}-${'x'.repeat(16)}`, port: '22' });
const supportUntil = new Date(Date.now() + 365 * DAY).toISOString();
const tokenOf = (link) => link.url.slice(link.url.lastIndexOf('/') + 1);
const { createTicketIn } = vault.tickets.inTransaction;
const { createIntakeLinkIn } = vault.intakeLinks;
const TICKETS_PER_WRITE = 500;
// SQLite: enough to fill group commits (256 units each). PostgreSQL: a few per pooled connection
// (the vault's pool holds 10 and gives up on a connection after 5 s of waiting).
const SUBMISSIONS_AT_ONCE = storage.backend === 'sqlite' ? 500 : 30;

/** A ticket and a 90-day link on it, in the caller's transaction. */
async function ticketWithLink(s, ref, t) {
  const data = newTicketSchema.parse({ externalRef: ref, subject: `Bench ticket ${t}: shop upload fails`, customerEmail: `customer${t}@shop.test`, customerName: `Customer ${t}`, supportUntil });
  const ticket = await createTicketIn(s, data, engineer(t % spec.engineers));
  const link = await createIntakeLinkIn(s, ticket.id, { ttlSeconds: 90 * 86400 }, engineer(t % spec.engineers));
  return { ticketId: ticket.id, token: tokenOf(link) };
}

async function seedTickets(prefix, tickets, perTicket, keepIds) {
  const links = [];
  for (let done = 0; done < tickets; done += TICKETS_PER_WRITE) {
    const batch = await storage.write(async (s) => {
      const made = [];
      for (let t = done; t < Math.min(tickets, done + TICKETS_PER_WRITE); t++) made.push(await ticketWithLink(s, `${prefix}-${t}`, t));
      return made;
    });
    links.push(...batch);
    if (keepIds) fixtures.ticketIds.push(...batch.map((l) => l.ticketId));
  }
  if (process.env.BENCH_SEED_TRACE) process.stderr.write(`${prefix}: ${tickets} tickets in ${Math.round(performance.now() - started)} ms\n`);
  const ids = new Array(tickets * perTicket);
  await concurrently(tickets * perTicket, SUBMISSIONS_AT_ONCE, async (i) => {
    const link = links[Math.floor(i / perTicket)];
    ids[i] = (await vault.credentials.submitCredential(link.token, { kind: 'ftp', label: `FTP ${i}`, fields: fields(i) })).credentialId;
  });
  if (process.env.BENCH_SEED_TRACE) process.stderr.write(`${prefix}: ${ids.length} credentials in ${Math.round(performance.now() - started)} ms\n`);
  if (keepIds) {
    for (let i = 0; i < ids.length && fixtures.liveCredentials.length < spec.keepCredentialIds; i += 3) fixtures.liveCredentials.push(ids[i]);
  }
  return { links, credentials: ids.length };
}

const live = await seedTickets('LIVE', spec.liveTickets, spec.credentialsPerLiveTicket, true);
const ticketsMs = performance.now() - started;
// Two groups of tickets whose credentials the bench expires behind the vault's back: one purged
// with no other load, one while reveals go on (external_ref LIKE 'DOOM-A-%', 'DOOM-B-%').
for (const prefix of ['DOOM-A', 'DOOM-B']) {
  const { credentials } = await seedTickets(prefix, spec.doomedTickets, spec.credentialsPerDoomedTicket, false);
  fixtures.doomedGroups.push({ refs: `${prefix}-%`, credentials });
}
const intake = await storage.write((s) => ticketWithLink(s, 'INTAKE-1', 0));
fixtures.intakeToken = intake.token;
fixtures.intakePublicKey = vault.keys.intakePublicKey;
fixtures.counts = {
  liveCredentials: live.credentials,
  doomedCredentials: fixtures.doomedGroups.reduce((sum, g) => sum + g.credentials, 0),
  tickets: spec.liveTickets + 2 * spec.doomedTickets + 1,
  auditEvents: await auditCount(),
};
fixtures.seedMs = Math.round(performance.now() - started);
fixtures.liveSeedMs = Math.round(ticketsMs);
fs.writeFileSync(out, JSON.stringify(fixtures));
await vault.close();
