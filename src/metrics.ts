import client from 'prom-client';

/** Every Prometheus metric the vault exports, in one place; served at GET /metrics. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'ticketvault_' });
  const registers = [registry];
  return {
    registry,
    httpRequests: new client.Counter({
      name: 'ticketvault_http_requests_total',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    httpDuration: new client.Histogram({
      name: 'ticketvault_http_request_duration_seconds',
      help: 'HTTP request duration by route template',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    credentialsExpired: new client.Counter({
      name: 'ticketvault_credentials_expired_total',
      help: 'Credentials expired by the purge job',
      registers,
    }),
    credentialsPurged: new client.Counter({
      name: 'ticketvault_credentials_purged_total',
      help: 'Credentials whose ciphertext and data key the purge job destroyed',
      registers,
    }),
    purgeLastDuration: new client.Gauge({
      name: 'ticketvault_purge_last_duration_seconds',
      help: 'Duration of the last purge pass that expired or purged anything',
      registers,
    }),
    purgeFailures: new client.Counter({ name: 'ticketvault_purge_failures_total', help: 'Purge passes that failed', registers }),
    webhookDeliveries: new client.Counter({
      name: 'ticketvault_webhook_deliveries_total',
      help: 'Helpdesk webhook deliveries by source and result',
      labelNames: ['source', 'result'] as const,
      registers,
    }),
    noticesSent: new client.Counter({
      name: 'ticketvault_notices_total',
      help: 'Notice e-mails by kind and result',
      labelNames: ['kind', 'result'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
