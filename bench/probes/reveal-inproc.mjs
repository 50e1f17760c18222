// node bench/probes/reveal-inproc.mjs [N] (after a build): reveals through the domain function (no HTTP), 32 in flight, of 500 credentials; wall and CPU µs each; PROF=1 writes bench/profiles/reveal-inproc.cpuprofile.
import { openProbeVault, probeProfiler } from './probe-vault.mjs';

const { vault, token, ftpBody, close } = await openProbeVault();
const origin = { ip: '127.0.0.1', userAgent: 'bench' };
const ids = [];
for (let i = 0; i < 500; i++) ids.push((await vault.credentials.submitCredential(token, ftpBody(i, 'Shop FTP ' + i), origin)).credentialId);
const N = Number(process.argv[2] ?? 20000);
const staff = { type: 'staff', id: null, name: 'Engineer' };
const body = { reason: 'Customer asked us to fix the nightly upload (ZD-1042)' };
// 32 in flight, like the bench's connections.
const round = async (n) => {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 32 }, async () => { while (next < n) { const id = ids[next++ % ids.length]; await vault.reveal.revealCredential(id, body, staff, origin); } }));
  return performance.now() - t0;
};
await round(2000);
const profiler = await probeProfiler('reveal-inproc');
await profiler.start();
const c0 = process.cpuUsage();
const total = await round(N);
const c = process.cpuUsage(c0);
await profiler.stop();
console.log('per reveal', (total / N * 1000).toFixed(0), 'µs wall,', ((c.user + c.system) / N).toFixed(0), 'µs CPU');
await close();
