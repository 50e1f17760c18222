// node bench/probes/list-bench.mjs (after a build): GET /tickets' listTickets in process over 11k tickets (seeded once into $TMPDIR/lb-db), ms per call.
import fs from 'node:fs';
const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { parseConfig } = await import(repo + '/dist/config.js');
const { createLogger } = await import(repo + '/dist/logger.js');
const { composeVault } = await import(repo + '/dist/main.js');
const dir = (await import('node:path')).join((await import('node:os')).tmpdir(), 'lb-db');
const fresh = !fs.existsSync(dir + '/v.db');
fs.mkdirSync(dir, { recursive: true });
const config = parseConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://v.test', DATABASE_PATH: dir + '/v.db', MASTER_KEY: Buffer.alloc(32, 3).toString('base64') });
const vault = await composeVault(config, { log: createLogger('warn') });
const actor = { type: 'staff', id: null, name: 'x' };
if (fresh) {
  vault.db.transaction(() => {
    for (let t = 0; t < 11000; t++) {
      const ticket = vault.tickets.createTicket({ externalRef: 'ZD-' + t, subject: t % 2 ? 'Upload to shop fails' : 'Checkout broken', customerEmail: `customer${t}@shop.test`, customerName: 'Customer ' + t, supportUntil: '2030-01-01' }, actor);
      const token = vault.intakeLinks.createIntakeLink(ticket.id, {}, actor).url.split('/s/')[1];
      for (let i = 0; i < 10; i++) vault.credentials.submitCredential(token, { kind: 'ftp', fields: { host: 'h', username: 'u', password: 'p' + i } });
    }
  })();
  vault.db.pragma('wal_checkpoint(TRUNCATE)');
}
for (const q of [{}, { status: 'open' }, { q: 'upload' }, { q: 'customer12' }, { q: 'ZD-10999' }, { q: 'nomatch' }]) {
  vault.tickets.listTickets(q);
  const n = 200; const t = performance.now();
  for (let i = 0; i < n; i++) vault.tickets.listTickets(q);
  console.log(JSON.stringify(q).padEnd(24), ((performance.now() - t) / n).toFixed(3), 'ms');
}
vault.close();
