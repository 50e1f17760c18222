// node bench/probes/intake-inproc.mjs [N] (after a build): sealed submissions through the domain function, 32 in flight, µs each; PROF=1 writes bench/profiles/intake-inproc.cpuprofile.
import fs from 'node:fs';
import inspector from 'node:inspector';
const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { parseConfig } = await import(repo + '/dist/config.js');
const { createLogger } = await import(repo + '/dist/logger.js');
const { composeVault } = await import(repo + '/dist/main.js');
const { sealForPublicKey } = await import(repo + '/dist/crypto/sealed-box.js');
const dir = fs.mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'ii-'));
const config = parseConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://v.test', DATABASE_PATH: dir + '/v.db', MASTER_KEY: Buffer.alloc(32, 3).toString('base64') });
const vault = await composeVault(config, { log: createLogger('warn'), sealedBoxThreads: 0 });
const actor = { type: 'staff', id: null, name: 'x' };
const ticket = await vault.tickets.createTicket({ externalRef: 'T1', subject: 's', customerEmail: 'c@x.test', supportUntil: '2030-01-01' }, actor);
const token = (await vault.intakeLinks.createIntakeLink(ticket.id, {}, actor)).url.split('/s/')[1];
const pk = new Uint8Array(Buffer.from(vault.keys.intakePublicKey, 'base64url'));
const N = Number(process.argv[2] ?? 3000);
const bodies = Array.from({ length: N }, (_, i) => ({ kind: 'ftp', label: 'Shop FTP', sealed: sealForPublicKey(JSON.stringify({ host: 'ftp.shop.test', username: 'u' + i, password: 'pw-' + i }), pk) }));
const session = new inspector.Session(); session.connect();
const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
if (process.env.PROF) { await post('Profiler.enable'); await post('Profiler.start'); }
const t0 = performance.now();
// 32 in flight, like the bench's connections.
let next = 0;
await Promise.all(Array.from({ length: 32 }, async () => { while (next < N) { const b = bodies[next++]; await vault.credentials.submitCredential(token, b, { ip: '127.0.0.1', userAgent: 'bench' }); } }));
const total = performance.now() - t0;
const profile = process.env.PROF ? (await post('Profiler.stop')).profile : {};
const profileFile = repo + '/bench/profiles/intake-inproc.cpuprofile';
if (process.env.PROF) { fs.mkdirSync(repo + '/bench/profiles', { recursive: true }); fs.writeFileSync(profileFile, JSON.stringify(profile)); }
console.log('per submission', (total / N * 1000).toFixed(0), 'µs');
vault.close(); fs.rmSync(dir, { recursive: true });
