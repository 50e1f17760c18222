// node bench/probes/purge-parts.mjs [N] (after a build): where an unloaded purge's time goes, per destroyed credential.
import fs from 'node:fs';
const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { parseConfig } = await import(repo + '/dist/config.js');
const { createLogger } = await import(repo + '/dist/logger.js');
const { composeVault } = await import(repo + '/dist/main.js');
const dir = fs.mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'pb-'));
const config = parseConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://v.test', DATABASE_PATH: dir + '/v.db', MASTER_KEY: Buffer.alloc(32, 3).toString('base64') });
const vault = await composeVault(config, { log: createLogger('warn') });
const N = Number(process.argv[2] ?? 20000);
const actor = { type: 'staff', id: null, name: 'x' };
vault.db.transaction(() => {
  for (let t = 0; t < N / 100; t++) {
    const ticket = vault.tickets.createTicket({ externalRef: 'T' + t, subject: 's', customerEmail: 'c@x.test', supportUntil: '2030-01-01' }, actor);
    const token = vault.intakeLinks.createIntakeLink(ticket.id, {}, actor).url.split('/s/')[1];
    for (let i = 0; i < 100; i++) vault.credentials.submitCredential(token, { kind: 'ftp', fields: { host: 'h', username: 'u', password: 'p' + i } });
  }
})();
vault.db.pragma('wal_checkpoint(TRUNCATE)');
vault.db.prepare('UPDATE credentials SET expires_at = 0').run();
vault.db.pragma('wal_checkpoint(TRUNCATE)');
const times = {};
const wrap = (obj, name, label) => {
  const f = obj[name].bind(obj);
  obj[name] = (...a) => { const t = performance.now(); try { return f(...a); } finally { times[label] = (times[label] ?? 0) + performance.now() - t; } };
};
const cs = vault.stores.credentialStore;
wrap(cs, 'expireAndPurgeDue', 'credentials UPDATE+secrets DELETE');
wrap(cs, 'purgeEnded', 'purgeEnded (nothing to do)');
wrap(vault.audit, 'recordMany', 'audit recordMany');
const notices = vault.stores.noticeOutboxStore;
if (notices) wrap(notices, 'queueDestructionNotice', 'notice inserts');
const origExec = vault.db.exec.bind(vault.db);
const t0 = performance.now();
const r = await vault.purge.runPurge();
const total = performance.now() - t0;
const parts = Object.values(times).reduce((a, b) => a + b, 0);
for (const [k, v] of Object.entries(times)) console.log(k.padEnd(40), (v / N * 1000).toFixed(1), 'µs each');
console.log('rest (commit, checkpoint, yields)'.padEnd(40), ((total - parts) / N * 1000).toFixed(1), 'µs each');
console.log('total'.padEnd(40), (total / N * 1000).toFixed(1), 'µs each', JSON.stringify(r));
vault.close();
fs.rmSync(dir, { recursive: true });
