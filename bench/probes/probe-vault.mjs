// The in-process probes' vault (after a build): production mode on a fresh SQLite file, sealed
// boxes opened on the event loop, one ticket with an intake link. `close()` removes the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export async function openProbeVault() {
  const { parseConfig } = await import(repo + '/dist/config.js');
  const { createLogger } = await import(repo + '/dist/logger.js');
  const { composeVault } = await import(repo + '/dist/main.js');
  const { sealForPublicKey } = await import(repo + '/dist/crypto/sealed-box.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'probe-'));
  const config = parseConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://v.test', DATABASE_PATH: dir + '/v.db', MASTER_KEY: Buffer.alloc(32, 3).toString('base64') });
  const vault = await composeVault(config, { log: createLogger('warn'), sealedBoxThreads: 0 });
  const actor = { type: 'staff', id: null, name: 'x' };
  const ticket = await vault.tickets.createTicket({ externalRef: 'T1', subject: 's', customerEmail: 'c@x.test', supportUntil: '2030-01-01' }, actor);
  const token = (await vault.intakeLinks.createIntakeLink(ticket.id, {}, actor)).url.split('/s/')[1];
  const publicKey = new Uint8Array(Buffer.from(vault.keys.intakePublicKey, 'base64url'));
  /** A sealed FTP submission body for the link (the i-th of a series). */
  const ftpBody = (i, label = 'Shop FTP') => ({ kind: 'ftp', label, sealed: sealForPublicKey(JSON.stringify({ host: 'ftp.shop.test', username: 'u' + i, password: 'pw-' + i }), publicKey) });
  const close = async () => {
    await vault.close();
    fs.rmSync(dir, { recursive: true });
  };
  return { repo, vault, token, ftpBody, close };
}

/** A CPU profile of whatever runs between start() and stop() (PROF=1), written to bench/profiles/<name>.cpuprofile. */
export async function probeProfiler(name) {
  const inspector = await import('node:inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  const on = Boolean(process.env.PROF);
  return {
    start: async () => {
      if (!on) return;
      await post('Profiler.enable');
      await post('Profiler.start');
    },
    stop: async () => {
      if (!on) return;
      const { profile } = await post('Profiler.stop');
      fs.mkdirSync(repo + '/bench/profiles', { recursive: true });
      fs.writeFileSync(`${repo}/bench/profiles/${name}.cpuprofile`, JSON.stringify(profile));
    },
  };
}
