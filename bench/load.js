// Load generator, run as its own process so it never shares an event loop with the server.
// Usage: node bench/load.js <spec.json>; prints one JSON result line.
// `spec.url` is one base URL, or an array of them (several instances behind no balancer): the
// connections are dealt round-robin over the URLs (autocannon binds each keep-alive connection to
// one address, as an L4 balancer would), and the request pool is taken in turn across all of
// them, so consecutive requests go to alternate instances while every instance is kept busy.
// SIGUSR2 ends the run early (`spec.duration` is then a bound): the result covers the time until then.
import fs from 'node:fs';
import autocannon from 'autocannon';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const pool = spec.pool;
let next = 0;

const run = autocannon({
  url: Array.isArray(spec.url) && spec.url.length === 1 ? spec.url[0] : spec.url,
  connections: spec.connections ?? 32,
  duration: spec.duration,
  timeout: 20,
  ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  requests: [
    {
      setupRequest: (req) => {
        const r = pool[next++ % pool.length];
        req.method = r.method ?? spec.method ?? 'GET';
        req.path = r.path;
        req.headers = { ...(spec.headers ?? {}), ...(r.headers ?? {}) };
        if (r.body !== undefined) {
          req.body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
          req.headers['content-type'] = 'application/json';
        } else {
          delete req.body;
        }
        return req;
      },
    },
  ],
});
process.on('SIGUSR2', () => run.stop());
const result = await run;

const statuses = {};
for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count;
process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    durationS: result.duration,
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    statuses,
  }) + '\n',
);
