import type { Server } from 'node:http';
import { buildApp } from './app.js';
import { createAudit } from './audit/audit.js';
import { createAuditStore } from './audit/audit-store.js';
import { systemClock, type Clock } from './clock.js';
import { ConfigError, type Config } from './config.js';
import { createCredentials } from './credentials/credentials.js';
import { createCredentialStore } from './credentials/credentials-store.js';
import { Keyring, KeyringError } from './crypto/keyring.js';
import { loadMasterKeys } from './crypto/master-key.js';
import { initSodium } from './crypto/sodium.js';
import { loadVaultKeys, type VaultKeys } from './crypto/vault-keys.js';
import { createVaultKeyStore } from './crypto/vault-keys-store.js';
import { createIntakeLinks } from './intake-links/intake-links.js';
import { createIntakeLinkStore } from './intake-links/intake-links-store.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createPurge } from './purge/purge.js';
import { createReceipts } from './receipts/receipts.js';
import { createReceiptStore } from './receipts/receipts-store.js';
import { createReveal } from './reveal/reveal.js';
import { createStaff } from './staff-auth/staff.js';
import { createStaffStore } from './staff-auth/staff-store.js';
import { createStaffTokens } from './staff-auth/staff-tokens.js';
import { openDatabase } from './storage/database.js';
import { migrateDatabase } from './storage/migrations.js';
import { createTickets } from './tickets/tickets.js';
import { createTicketStore } from './tickets/tickets-store.js';

export interface ComposeOptions {
  log?: Logger;
  clock?: Clock;
  /** Called with the loud warning when a development master key is generated. */
  warn?: (message: string) => void;
}

/**
 * The composition root: config → database → migrate → keys → domain. Used by `serve`, by every
 * CLI command and by the tests, so all three run the same domain functions.
 */
export async function composeVault(config: Config, options: ComposeOptions = {}) {
  const log = options.log ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  await initSodium();

  const db = openDatabase(config.databasePath);
  const migrations = migrateDatabase(db);
  if (migrations.applied.length) log.info({ applied: migrations.applied }, 'database migrated');

  const vaultKeyStore = createVaultKeyStore(db);
  let keyring: Keyring;
  let keys: VaultKeys;
  try {
    keyring = new Keyring(loadMasterKeys(config, options.warn ?? ((m) => log.warn(m))));
    keys = loadVaultKeys({ db, vaultKeyStore, keyring, clock });
  } catch (error) {
    db.close();
    if (error instanceof KeyringError) {
      throw new ConfigError(
        config.masterKeyFile ? 'MASTER_KEY_FILE' : 'MASTER_KEY',
        `this database's keys were wrapped under a master key that is not configured (${error.message}); ` +
          'set the master key this vault was created with, or list it after the new one while rotating',
      );
    }
    throw error;
  }

  const ticketStore = createTicketStore(db);
  const intakeLinkStore = createIntakeLinkStore(db);
  const receiptStore = createReceiptStore(db);
  const credentialStore = createCredentialStore(db);
  const staffStore = createStaffStore(db);
  const auditStore = createAuditStore(db);

  const audit = createAudit({ auditStore, auditKey: keys.auditKey, clock });
  const tickets = createTickets({ db, ticketStore, credentialStore, intakeLinkStore, audit, clock });
  const intakeLinks = createIntakeLinks({
    db,
    ticketStore,
    intakeLinkStore,
    audit,
    clock,
    publicUrl: config.publicUrl,
    defaultTtlSeconds: config.intakeLinkTtlSeconds,
    credentialMaxAgeSeconds: config.credentialMaxAgeSeconds,
    vendorName: config.vendorName,
    intakePublicKey: () => keys.intakePublicKey,
  });
  const credentials = createCredentials({
    db,
    credentialStore,
    ticketStore,
    intakeLinkStore,
    receiptStore,
    intakeLinks,
    audit,
    clock,
    keys,
    publicUrl: config.publicUrl,
    credentialMaxAgeSeconds: config.credentialMaxAgeSeconds,
  });
  const receipts = createReceipts({ db, receiptStore, credentialStore, ticketStore, audit, clock, keys, vendorName: config.vendorName });
  const reveal = createReveal({ db, credentialStore, audit, keys, clock, log });
  const purge = createPurge({ db, credentialStore, audit, clock, log });
  const staff = createStaff({ staffStore, clock });
  const staffTokens = createStaffTokens({ staffStore, signing: keys.signing, issuer: config.publicUrl, clock });
  const metrics = createMetrics();

  return {
    config,
    log,
    clock,
    db,
    keys,
    stores: { ticketStore, intakeLinkStore, receiptStore, credentialStore, staffStore, auditStore, vaultKeyStore },
    audit,
    tickets,
    intakeLinks,
    credentials,
    receipts,
    reveal,
    purge,
    staff,
    staffTokens,
    metrics,
    close: () => db.close(),
  };
}

export type Vault = Awaited<ReturnType<typeof composeVault>>;

export interface RunningServer {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/** `ticketvault serve`: compose, listen, run the purge timer, stop gracefully on SIGTERM/SIGINT. */
export async function startServer(config: Config, options: ComposeOptions = {}): Promise<RunningServer> {
  const vault = await composeVault(config, options);
  const { log } = vault;
  const app = buildApp(vault);

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 30000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  const runPurge = () =>
    vault.purge
      .runPurge()
      .then((summary) => {
        vault.metrics.credentialsExpired.inc(summary.expired);
        vault.metrics.credentialsPurged.inc(summary.purged);
        if (summary.expired || summary.purged) vault.metrics.purgeLastDuration.set(summary.durationMs / 1000);
      })
      .catch((err: unknown) => {
        vault.metrics.purgeFailures.inc();
        log.error({ err }, 'purge pass failed');
      });
  void runPurge();
  const timer = setInterval(runPurge, config.purgeIntervalSeconds * 1000);
  timer.unref();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10000).unref();
      });
      vault.close();
      log.info('ticketvault stopped');
      log.flush?.();
    })());

  log.info({ url, publicUrl: config.publicUrl, database: config.databasePath }, 'ticketvault listening');
  return { server, url, stop };
}
