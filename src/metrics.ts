import client from 'prom-client';

/** What the storage reports about itself, read at each scrape. */
export interface StorageStatus {
  failingFast: boolean;
  walTruncationPending: boolean;
  faults: Readonly<Record<string, number>>;
}

/** Every Prometheus metric the vault exports, in one place; served at GET /metrics. */
export function createMetrics(sources: { storage?: () => StorageStatus } = {}) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'ticketvault_' });
  const registers = [registry];
  /** A 0/1 gauge read off the storage at each scrape. */
  const storageFlag = (name: string, help: string, pick: (status: StorageStatus) => boolean) =>
    new client.Gauge({
      name,
      help,
      registers,
      collect() {
        const status = sources.storage?.();
        if (status) this.set(pick(status) ? 1 : 0);
      },
    });
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
    noticePassFailures: new client.Counter({ name: 'ticketvault_notice_pass_failures_total', help: 'Notice passes that failed (e.g. storage unavailable)', registers }),
    storageFaults: new client.Counter({
      name: 'ticketvault_storage_faults_total',
      help: 'Writes refused by the storage, by kind (full, read_only, io_error, cannot_open, locked)',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        const status = sources.storage?.();
        if (!status) return;
        this.reset();
        for (const [kind, count] of Object.entries(status.faults)) this.inc({ kind }, count);
      },
    }),
    storageFailingFast: storageFlag(
      'ticketvault_storage_failing_fast',
      '1 while the database stays locked by another process: writes fail at once until one gets through',
      (status) => status.failingFast,
    ),
    walTruncationPending: storageFlag(
      'ticketvault_wal_truncation_pending',
      '1 while destroyed pages wait in the WAL for a reader to let go (the truncation is retried)',
      (status) => status.walTruncationPending,
    ),
    webhookDeliveries: new client.Counter({
      name: 'ticketvault_webhook_deliveries_total',
      help: 'Helpdesk webhook deliveries by source and result',
      labelNames: ['source', 'result'] as const,
      registers,
    }),
    outgoingWebhooks: new client.Counter({
      name: 'ticketvault_outgoing_webhooks_total',
      help: 'Outgoing webhook attempts by result (delivered, retry, failed)',
      labelNames: ['result'] as const,
      registers,
    }),
    webhookPassFailures: new client.Counter({ name: 'ticketvault_webhook_pass_failures_total', help: 'Outgoing webhook passes that failed (e.g. storage unavailable)', registers }),
    noticesSent: new client.Counter({
      name: 'ticketvault_notices_total',
      help: 'Notice e-mails by kind and result',
      labelNames: ['kind', 'result'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
