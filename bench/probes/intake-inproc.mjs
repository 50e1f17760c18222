// node bench/probes/intake-inproc.mjs [N] (after a build): sealed submissions through the domain function, 32 in flight, µs each; PROF=1 writes bench/profiles/intake-inproc.cpuprofile.
import { openProbeVault, probeProfiler } from './probe-vault.mjs';

const { vault, token, ftpBody, close } = await openProbeVault();
const N = Number(process.argv[2] ?? 3000);
const bodies = Array.from({ length: N }, (_, i) => ftpBody(i));
const profiler = await probeProfiler('intake-inproc');
await profiler.start();
const t0 = performance.now();
// 32 in flight, like the bench's connections.
let next = 0;
await Promise.all(Array.from({ length: 32 }, async () => { while (next < N) { const b = bodies[next++]; await vault.credentials.submitCredential(token, b, { ip: '127.0.0.1', userAgent: 'bench' }); } }));
const total = performance.now() - t0;
await profiler.stop();
console.log('per submission', (total / N * 1000).toFixed(0), 'µs');
await close();
