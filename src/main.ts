import type { Server } from 'node:http';
import { buildApp } from './app.js';
import { answerClientErrors } from './http/client-errors.js';
import { createAudit } from './audit/audit.js';
import { createAuditStore } from './audit/audit-store.js';
import { createChainVerifier } from './audit/audit-verify.js';
import { systemClock, type Clock } from './clock.js';
import { checkDevelopmentListensOnLoopback, ConfigError, type Config } from './config.js';
import { BadRequest } from './errors.js';
import { createCredentials } from './credentials/credentials.js';
import { createCredentialStore, type CredentialStore } from './credentials/credentials-store.js';
import { Keyring, KeyringError } from './crypto/keyring.js';
import { loadMasterKeys } from './keys/master-key.js';
import { createPasswords } from './crypto/passwords.js';
import { createSealedBoxOpener, defaultSealedBoxThreads } from './crypto/sealed-box-opener.js';
import { initSodium } from './crypto/sodium.js';
import { loadVaultKeys, type VaultKeys } from './keys/vault-keys.js';
import { createVaultKeyStore } from './keys/vault-keys-store.js';
import { createWebhookEventStore } from './hooks/webhook-events-store.js';
import { createWebhooks } from './hooks/webhooks.js';
import { createIntakeLinks } from './intake-links/intake-links.js';
import { createIntakeLinkStore } from './intake-links/intake-links-store.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createMailTransport } from './notices/mail-transports.js';
import { createNoticeOutboxStore } from './notices/notice-outbox-store.js';
import { createNotices } from './notices/notices.js';
import { createPurge, endCredentialsAgain } from './purge/purge.js';
import { createReceipts } from './receipts/receipts.js';
import { createReceiptStore } from './receipts/receipts-store.js';
import { createReveal } from './reveal/reveal.js';
import { createLoginThrottle } from './staff-auth/login-throttle.js';
import { createLoginThrottleStore } from './staff-auth/login-throttles-store.js';
import { createOidcSignIn } from './staff-auth/oidc-sign-in.js';
import { createPasswordSignIn } from './staff-auth/password-sign-in.js';
import { createStaff } from './staff-auth/staff.js';
import { createStaffSessions } from './staff-auth/staff-sessions.js';
import { createStaffSessionStore } from './staff-auth/staff-sessions-store.js';
import { createStaffStore } from './staff-auth/staff-store.js';
import { createStaffTokens } from './staff-auth/staff-tokens.js';
import { backupDatabase, restoreDatabase } from './storage/backup.js';
import { openDatabase, type Database } from './storage/database.js';
import { holdDatabase } from './storage/database-lock.js';
import { storageFaultStatus } from './storage/storage-faults.js';
import { checkpointWal, settleWalTruncation, stopWalTruncation, walTruncationPending } from './storage/wal-truncation.js';
import { createGroupCommit } from './storage/group-commit.js';
import { migrateDatabase } from './storage/migrations.js';
import { createTickets } from './tickets/tickets.js';
import { createTicketStore } from './tickets/tickets-store.js';

export interface ComposeOptions {
  log?: Logger;
  clock?: Clock;
  /** Called with the loud warning when a development master key is generated. */
  warn?: (message: string) => void;
  /** Threads that open sealed intake boxes; in production by default up to two on machines with cores to spare, none (in-thread) otherwise. */
  sealedBoxThreads?: number;
  /** How often `startServer` looks for due notices (tests shorten it). */
  noticeIntervalMs?: number;
  /** Least time between two fetches of the OIDC provider's key set for an unknown key id (tests shorten it). */
  oidcJwksCooldownMs?: number;
}

const NOTICE_INTERVAL_MS = 2000;

/**
 * The composition root: config → database → migrate → keys → domain. Used by `serve`, by every
 * CLI command and by the tests, so all three run the same domain functions.
 */
export async function composeVault(config: Config, options: ComposeOptions = {}) {
  const log = options.log ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  await initSodium();

  // Held while this process has the database open: `restore` refuses until it is released.
  const hold = holdDatabase(config.databasePath);
  let opened: ReturnType<typeof openVaultDatabase>;
  try {
    opened = openVaultDatabase(config, clock, log, options.warn ?? ((m) => log.warn(m)));
  } catch (error) {
    hold.release();
    throw error;
  }
  const { db, vaultKeyStore, keyring, keys } = opened;

  const ticketStore = createTicketStore(db);
  const intakeLinkStore = createIntakeLinkStore(db);
  const receiptStore = createReceiptStore(db);
  const credentialStore = createCredentialStore(db);
  const staffStore = createStaffStore(db);
  const auditStore = createAuditStore(db);
  const noticeOutboxStore = createNoticeOutboxStore(db);
  const webhookEventStore = createWebhookEventStore(db);
  const metrics = createMetrics({ storage: () => ({ ...storageFaultStatus(db), walTruncationPending: walTruncationPending(db) }) });

  const audit = createAudit({ auditStore, auditKey: keys.auditKey, clock });
  const chainVerifier = createChainVerifier({
    databasePath: config.databasePath,
    auditKey: keys.auditKey,
    maxSeq: () => auditStore.maxSeq(),
    verifyInThread: (head) => audit.verifyChain({ head }),
    now: () => clock.now(),
  });
  // Reveals and submissions arriving together share one durable commit.
  const groupCommit = createGroupCommit(db);
  const sealedBoxes = createSealedBoxOpener(keys.intakeKeyPairs, options.sealedBoxThreads ?? (config.isProduction ? defaultSealedBoxThreads() : 0));
  const tickets = createTickets({
    db,
    ticketStore,
    credentialStore,
    intakeLinkStore,
    audit,
    clock,
    credentialMaxAgeSeconds: config.credentialMaxAgeSeconds,
  });
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
    notices: noticeOutboxStore,
    publicUrl: config.publicUrl,
    credentialMaxAgeSeconds: config.credentialMaxAgeSeconds,
    groupCommit,
    sealedBoxes,
  });
  const receipts = createReceipts({
    db,
    receiptStore,
    credentialStore,
    ticketStore,
    audit,
    clock,
    keys,
    notices: noticeOutboxStore,
    vendorName: config.vendorName,
  });
  const reveal = createReveal({ db, credentialStore, audit, keys, clock, log, notices: noticeOutboxStore, groupCommit });
  const purge = createPurge({ db, credentialStore, audit, clock, log, notices: noticeOutboxStore });
  const webhooks = createWebhooks({
    db,
    ticketStore,
    webhookEventStore,
    tickets,
    intakeLinks,
    clock,
    log,
    helpdeskSecrets: config.helpdeskWebhook,
    zendeskSecrets: config.zendeskWebhookSecrets,
  });
  const mailTransport = createMailTransport(config);
  const notices = createNotices({
    db,
    noticeOutboxStore,
    keyring,
    transport: mailTransport,
    clock,
    log,
    metrics,
    publicUrl: config.publicUrl,
    vendorName: config.vendorName,
  });
  const staffSessionStore = createStaffSessionStore(db);
  const passwords = createPasswords();
  const staffSessions = createStaffSessions({ sessionStore: staffSessionStore, staffStore, clock });
  const loginThrottle = createLoginThrottle({
    throttleStore: createLoginThrottleStore(db),
    clock,
    accountHashKey: keys.throttleKey,
  });
  const staff = createStaff({ db, staffStore, sessionStore: staffSessionStore, passwords, audit, clock, oidcIssuer: config.oidc?.issuer ?? null });
  const staffTokens = createStaffTokens({ staffStore, signing: keys.signing, issuer: config.publicUrl, clock });
  const passwordSignIn = createPasswordSignIn({ db, staffStore, sessions: staffSessions, throttle: loginThrottle, passwords, audit, clock });
  const signIn = { db, staffStore, sessions: staffSessions, throttle: loginThrottle, audit, clock, log, signing: keys.signing };
  const oidcSignIn = config.oidc
    ? createOidcSignIn({ ...signIn, settings: config.oidc, publicUrl: config.publicUrl, jwksCooldownMs: options.oidcJwksCooldownMs })
    : null;

  return {
    config,
    log,
    clock,
    db,
    keys,
    stores: {
      ticketStore,
      intakeLinkStore,
      receiptStore,
      credentialStore,
      staffStore,
      auditStore,
      vaultKeyStore,
      noticeOutboxStore,
      webhookEventStore,
    },
    audit,
    chainVerifier,
    tickets,
    intakeLinks,
    credentials,
    receipts,
    reveal,
    purge,
    staff,
    staffTokens,
    staffSessions,
    passwords,
    passwordSignIn,
    oidcSignIn,
    metrics,
    webhooks,
    notices,
    /** `ticketvault backup <file>`. */
    backupTo: (file: string) => backupDatabase(db, file),
    /** Destroyed pages still in the WAL because a reader holds an old snapshot; settle waits (bounded) for the retries to empty it. */
    walTruncation: {
      /** Key material was destroyed outside a purge pass (keys rotate): truncate now, retrying while a reader holds. */
      start: () => checkpointWal(db),
      pending: () => walTruncationPending(db),
      settle: (timeoutMs: number) => settleWalTruncation(db, timeoutMs),
    },
    close: () => {
      void passwords.close();
      void sealedBoxes.close();
      mailTransport.close();
      stopWalTruncation(db);
      db.close();
      hold.release();
    },
  };
}

/** The database, migrated, with the vault's keys unwrapped under the configured master key. */
function openVaultDatabase(config: Config, clock: Clock, log: Logger, warn: (message: string) => void) {
  const db = openDatabase(config.databasePath);
  try {
    const migrations = migrateDatabase(db);
    if (migrations.applied.length) log.info({ applied: migrations.applied }, 'database migrated');
    const vaultKeyStore = createVaultKeyStore(db);
    const keyring = new Keyring(loadMasterKeys(config, warn));
    return { db, vaultKeyStore, keyring, keys: loadVaultKeys({ db, vaultKeyStore, keyring, clock }) };
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
}

export type Vault = Awaited<ReturnType<typeof composeVault>>;

export interface RestoreOptions {
  /** A head hash saved earlier: the backup's chain must reach it (rows cut off the end are refused). */
  head?: string;
  clock?: Clock;
  log?: Logger;
  warn?: (message: string) => void;
}

/**
 * `ticketvault restore <file>`: swaps a backup in for the database, once its copy passes
 * integrity_check and its audit chain verifies under the audit key it holds, unwrapped with the
 * configured master key (a backup made under another master key is refused). Before the swap,
 * what had ended in the database being replaced ends in the copy too, and the purge job destroys
 * it and whatever has expired since: a backup never brings a withdrawn credential back.
 */
export async function restoreVault(config: Config, backupFile: string, options: RestoreOptions = {}) {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger('silent');
  await initSodium();
  const keyring = new Keyring(loadMasterKeys(config, options.warn ?? (() => {})));
  return restoreDatabase({
    databasePath: config.databasePath,
    backupFile,
    check: async (copy, replaced) => {
      const vaultKeyStore = createVaultKeyStore(copy);
      if (vaultKeyStore.list('audit').length === 0) {
        throw new BadRequest('not_a_backup', `${backupFile} holds no vault keys: it is not a ticketvault backup; nothing was restored.`);
      }
      let keys: VaultKeys;
      try {
        keys = loadVaultKeys({ db: copy, vaultKeyStore, keyring, clock });
      } catch (error) {
        if (!(error instanceof KeyringError)) throw error;
        throw new BadRequest(
          'master_key_mismatch',
          `${backupFile} was made under a master key that is not configured (${error.message}); set the master key of the vault it came from. Nothing was restored.`,
        );
      }
      const auditStore = createAuditStore(copy);
      const audit = createAudit({ auditStore, auditKey: keys.auditKey, clock });
      const chain = audit.verifyChain({ head: options.head });
      if (!chain.ok) {
        throw new BadRequest('audit_chain_broken', `the audit chain in ${backupFile} is broken at event ${chain.firstBadSeq}: ${chain.problem}. Nothing was restored.`);
      }
      const credentialStore = createCredentialStore(copy);
      const ended = replaced ? endedCredentialsIn(replaced) : null;
      const endedAgain = ended ? endCredentialsAgain({ db: copy, credentialStore, audit, clock }, ended) : 0;
      const { purged } = await createPurge({ db: copy, credentialStore, audit, clock, log }).runPurge();
      const head = auditStore.head();
      return {
        auditEvents: head?.seq ?? 0,
        headHash: (head?.hash ?? Buffer.alloc(32)).toString('hex'),
        /** Credentials that had ended in the replaced database and were live again in the backup. */
        endedAgain,
        purged,
        /** False when the replaced database could not be read: what ended after the backup was taken is live again. */
        replacedRead: ended !== null,
      };
    },
  });
}

/** What had ended in the database being replaced, or null when it cannot be read (damaged, an older schema). */
function endedCredentialsIn(replaced: Database): ReturnType<CredentialStore['listEnded']> | null {
  try {
    return createCredentialStore(replaced).listEnded();
  } catch {
    return null;
  }
}

/**
 * A timer's pass that outlives failures (a full disk, a locked database): each failure is counted
 * and the pass runs again at the next tick; the log says when failing starts and when it ends,
 * not at every tick in between.
 */
function survivingFaults(name: string, pass: () => Promise<unknown>, countFailure: () => void, log: Logger): () => Promise<void> {
  let failing = false;
  return () =>
    pass().then(
      () => {
        if (failing) log.info(`${name} works again`);
        failing = false;
      },
      (err: unknown) => {
        countFailure();
        if (!failing) log.error({ err }, `${name} failed; retrying at every tick`);
        failing = true;
      },
    );
}

export interface RunningServer {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/** `ticketvault serve`: compose, listen, run the purge timer, stop gracefully on SIGTERM/SIGINT. */
export async function startServer(config: Config, options: ComposeOptions = {}): Promise<RunningServer> {
  // Before composing: a refused start must not have created the data folder or a development key.
  checkDevelopmentListensOnLoopback(config);
  const vault = await composeVault(config, options);
  const { log } = vault;
  const app = buildApp(vault);

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  answerClientErrors(server);
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 30000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  const runPurge = survivingFaults(
    'purge pass',
    async () => {
      const summary = await vault.purge.runPurge();
      vault.metrics.credentialsExpired.inc(summary.expired);
      vault.metrics.credentialsPurged.inc(summary.purged);
      if (summary.expired || summary.purged) vault.metrics.purgeLastDuration.set(summary.durationMs / 1000);
    },
    () => vault.metrics.purgeFailures.inc(),
    log,
  );
  void runPurge();
  const timer = setInterval(runPurge, config.purgeIntervalSeconds * 1000);
  timer.unref();

  // The notice sender: the outbox survives restarts, so whatever was pending goes out now.
  const sendNotices = survivingFaults('notice pass', () => vault.notices.sendDueNotices(), () => vault.metrics.noticePassFailures.inc(), log);
  void sendNotices();
  const noticeTimer = setInterval(sendNotices, options.noticeIntervalMs ?? NOTICE_INTERVAL_MS);
  noticeTimer.unref();
  if (vault.notices.transport.kind === 'none') {
    log.warn('SMTP_URL is not set: customers and engineers get no notices (each is logged as not sent)');
  } else {
    log.info({ notices: vault.notices.transport.description }, 'notices go to');
  }

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(timer);
      clearInterval(noticeTimer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10000).unref();
      });
      await vault.notices.settle();
      vault.close();
      log.info('ticketvault stopped');
      log.flush?.();
    })());

  log.info({ url, publicUrl: config.publicUrl, database: config.databasePath }, 'ticketvault listening');
  return { server, url, stop };
}
