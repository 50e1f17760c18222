import type { Server } from 'node:http';
import { buildApp } from './app.js';
import { createAudit } from './audit/audit.js';
import type { VerifyResult } from './audit/audit-chain.js';
import { createChainVerifier } from './audit/audit-verify.js';
import { systemClock, type Clock } from './clock.js';
import { checkDevelopmentListensOnLoopback, ConfigError, type Config } from './config.js';
import type { EndReason } from './credentials/credential-states.js';
import { createAttachments } from './attachments/attachments.js';
import { createCredentials } from './credentials/credentials.js';
import { Keyring, KeyringError } from './crypto/keyring.js';
import { createPasswords } from './crypto/passwords.js';
import { createSealedBoxOpener, defaultSealedBoxThreads } from './crypto/sealed-box-opener.js';
import { initSodium } from './crypto/sodium.js';
import { BadRequest, StorageUnavailable } from './errors.js';
import { createWebhooks } from './hooks/webhooks.js';
import { answerClientErrors } from './http/client-errors.js';
import { createIntakeLinks } from './intake-links/intake-links.js';
import { rotateKeys } from './keys/key-rotation.js';
import { loadMasterKeys } from './keys/master-key.js';
import { loadVaultKeys, type VaultKeys } from './keys/vault-keys.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type StorageStatus } from './metrics.js';
import { createMailTransport } from './notices/mail-transports.js';
import { createNotices } from './notices/notices.js';
import { createOutgoingWebhooks, createWebhookEmitter } from './outgoing-webhooks/outgoing-webhooks.js';
import { createWebhookSender } from './outgoing-webhooks/webhook-deliveries.js';
import { createPurge, endCredentialsAgain } from './purge/purge.js';
import { createReceipts } from './receipts/receipts.js';
import { createReveal } from './reveal/reveal.js';
import { createRevealApprovals } from './reveal/reveal-approvals.js';
import { createPortal } from './portal/portal.js';
import { createPortalMails } from './portal/portal-mails.js';
import type { SharedRateLimits } from './http/customer-rate-limit.js';
import { createLoginThrottle } from './staff-auth/login-throttle.js';
import { createOidcSignIn } from './staff-auth/oidc-sign-in.js';
import { createPasswordSignIn } from './staff-auth/password-sign-in.js';
import { createPasskeys } from './staff-auth/passkeys.js';
import { createPendingSignIns } from './staff-auth/pending-sign-ins.js';
import { createSecondFactors } from './staff-auth/second-factors.js';
import { createStaff } from './staff-auth/staff.js';
import { createStaffSessions } from './staff-auth/staff-sessions.js';
import { createStaffTokens } from './staff-auth/staff-tokens.js';
import { canVerifyInParallel, defaultVerifyWorkers, verifyChainInParallel } from './storage/sqlite/audit-verify-parallel.js';
import { backupDatabase, restoreDatabase, type BackupSummary } from './storage/sqlite/backup.js';
import { openDatabase, type Database } from './storage/sqlite/database.js';
import { holdDatabase } from './storage/sqlite/database-lock.js';
import { migrateDatabase, type MigrationResult } from './storage/sqlite/migrations.js';
import { createSqliteStorage, createSqliteStores } from './storage/sqlite/sqlite-storage.js';
import { storageFaultStatus } from './storage/sqlite/storage-faults.js';
import { settleWalTruncation, walTruncationPending } from './storage/sqlite/wal-truncation.js';
import type { Storage } from './storage/storage.js';
import { createTickets } from './tickets/tickets.js';
import { createPgCustomerRateLimits } from './storage/postgres/customer-rate-limits.js';
import { createPostgresStorage, pgFaultOf } from './storage/postgres/postgres-storage.js';

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
  /** How often `startServer` looks for due webhook deliveries (tests shorten it). */
  webhookIntervalMs?: number;
}

const NOTICE_INTERVAL_MS = 2000;
const WEBHOOK_INTERVAL_MS = 2000;

/**
 * The composition root: config → storage → migrate → keys → domain. Used by `serve`, by every
 * CLI command and by the tests, so all three run the same domain functions. The backend is chosen
 * here and nowhere else; the domain sees only the storage port.
 */
export async function composeVault(config: Config, options: ComposeOptions = {}) {
  const log = options.log ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  await initSodium();

  const backend = await openBackend(config, log);
  const { storage, sharedRateLimits } = backend;
  let keyring: Keyring;
  let keys: VaultKeys;
  try {
    keyring = new Keyring(loadMasterKeys(config, options.warn ?? ((m) => log.warn(m))));
    keys = await loadVaultKeys({ storage, keyring, clock });
  } catch (error) {
    await backend.close();
    throw keyringConfigError(config, error);
  }

  const metrics = createMetrics({ storage: backend.status });
  // Outgoing webhooks follow the audit log's appends: each event is queued in the transaction of its change.
  const webhookEmitter = createWebhookEmitter({ clock });
  const audit = createAudit({ storage, auditKey: keys.auditKey, clock, follower: webhookEmitter.follow });
  /** The whole chain, on worker threads where the backend can (`workers` overrides how many). */
  const verifyAudit = (head?: string, workers?: number) => backend.verifyAudit(keys.auditKey, head, workers, () => audit.verifyChain({ head }));
  const chainVerifier = createChainVerifier({ walk: (head) => verifyAudit(head), now: () => clock.now() });
  const sealedBoxes = createSealedBoxOpener(keys.intakeKeyPairs, options.sealedBoxThreads ?? (config.isProduction ? defaultSealedBoxThreads() : 0));
  const tickets = createTickets({ storage, audit, clock, credentialMaxAgeSeconds: config.credentialMaxAgeSeconds, supportTimeZone: config.supportTimeZone });
  const intakeLinks = createIntakeLinks({
    storage,
    audit,
    clock,
    publicUrl: config.publicUrl,
    defaultTtlSeconds: config.intakeLinkTtlSeconds,
    credentialMaxAgeSeconds: config.credentialMaxAgeSeconds,
    vendorName: config.vendorName,
    intakePublicKey: () => keys.intakePublicKey,
    attachmentMaxBytes: config.attachmentMaxBytes,
  });
  const revealApprovals = createRevealApprovals({ storage, audit, clock, keyring });
  const attachments = createAttachments({ storage, intakeLinks, audit, clock, keys, log, maxBytes: config.attachmentMaxBytes, approvals: revealApprovals });
  const credentials = createCredentials({
    storage,
    intakeLinks,
    audit,
    clock,
    keys,
    publicUrl: config.publicUrl,
    credentialMaxAgeSeconds: config.credentialMaxAgeSeconds,
    sealedBoxes,
    attachments,
  });
  const receipts = createReceipts({ storage, audit, clock, keys, vendorName: config.vendorName, attachments });
  const reveal = createReveal({ storage, audit, keys, clock, log, approvals: revealApprovals });
  const portal = createPortal({ storage, audit, clock, keyring, log, vendorName: config.vendorName });
  const purge = createPurge({ storage, audit, clock, log });
  const webhooks = createWebhooks({
    storage,
    tickets,
    intakeLinks,
    clock,
    log,
    helpdeskSecrets: config.helpdeskWebhook,
    zendeskSecrets: config.zendeskWebhookSecrets,
    helpScoutSecrets: config.helpScoutWebhookSecrets,
    jiraSecrets: config.jiraWebhookSecrets,
  });
  const mailTransport = createMailTransport(config);
  const mailing = {
    storage,
    keyring,
    transport: mailTransport,
    clock,
    log,
    metrics,
    publicUrl: config.publicUrl,
    vendorName: config.vendorName,
    defaultLanguage: config.defaultLanguage,
  };
  const notices = createNotices(mailing);
  // The customer portal's mails (decision 027) leave by the same transport and timer.
  const portalMails = createPortalMails(mailing);
  const outgoingWebhooks = createOutgoingWebhooks({ storage, keyring, audit, clock, emitter: webhookEmitter, allowHttp: !config.isProduction });
  const webhookSender = createWebhookSender({ storage, keyring, clock, log, metrics });
  const passwords = createPasswords();
  const staffSessions = createStaffSessions({ storage, clock });
  const loginThrottle = createLoginThrottle({ storage, clock, accountHashKey: keys.throttleKey });
  const staff = createStaff({ storage, passwords, audit, clock, oidcIssuer: config.oidc?.issuer ?? null });
  const staffTokens = createStaffTokens({ storage, signing: keys.signing, issuer: config.publicUrl, clock });
  const passkeys = createPasskeys({ storage, key: keys.passkeyChallengeKey, publicUrl: config.publicUrl, vendorName: config.vendorName, now: () => clock.now() });
  const secondFactors = createSecondFactors({ storage, keyring, audit, clock, throttle: loginThrottle, passkeys, requiredByConfig: config.mfaRequired });
  const passwordSignIn = createPasswordSignIn({
    storage,
    sessions: staffSessions,
    throttle: loginThrottle,
    passwords,
    audit,
    clock,
    secondFactors,
    passkeys,
    pendingSignIns: createPendingSignIns({ key: keys.pendingSignInKey }),
  });
  const signIn = { storage, sessions: staffSessions, throttle: loginThrottle, audit, clock, log, signing: keys.signing };
  const oidcSignIn = config.oidc
    ? createOidcSignIn({ ...signIn, settings: config.oidc, publicUrl: config.publicUrl, jwksCooldownMs: options.oidcJwksCooldownMs })
    : null;

  let closed = false;
  return {
    config,
    log,
    clock,
    storage,
    sharedRateLimits,
    keys,
    audit,
    chainVerifier,
    tickets,
    intakeLinks,
    credentials,
    receipts,
    attachments,
    reveal,
    revealApprovals,
    portal,
    portalMails,
    purge,
    staff,
    staffTokens,
    staffSessions,
    passwords,
    passwordSignIn,
    secondFactors,
    passkeys,
    oidcSignIn,
    metrics,
    webhooks,
    notices,
    outgoingWebhooks,
    webhookSender,
    /** `ticketvault audit verify`: the whole chain, on worker threads where the backend can. */
    verifyAudit,
    /** `ticketvault keys rotate`; then the destroyed signing key leaves the WAL (SQLite) once no reader holds it. */
    rotateKeys: async () => {
      const summary = await rotateKeys({ storage, keyring, audit, clock });
      await storage.afterDestroy();
      return summary;
    },
    /** `ticketvault backup <file>` (SQLite; PostgreSQL has pg_dump). */
    backupTo: (file: string) => backend.backupTo(file),
    /** Destroyed pages a reader still holds in the SQLite WAL; settle waits (bounded) for the retries to empty it. */
    walTruncation: backend.walTruncation,
    get closed() {
      return closed;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      void passwords.close();
      void sealedBoxes.close();
      mailTransport.close();
      await backend.close();
    },
  };
}

/** What one backend brings beside the port: its fault status, its fastest chain walk, and the SQLite-only commands. */
interface Backend {
  storage: Storage;
  status: () => StorageStatus;
  verifyAudit: (auditKey: Uint8Array, head: string | undefined, workers: number | undefined, inProcess: () => Promise<VerifyResult>) => Promise<VerifyResult>;
  backupTo: (file: string) => BackupSummary;
  walTruncation: { pending: () => boolean; settle: (timeoutMs: number) => Promise<boolean> };
  /** Customer rate-limit windows every instance shares (PostgreSQL); SQLite's one process keeps its own in memory. */
  sharedRateLimits?: SharedRateLimits;
  close: () => Promise<void>;
}

/** `ticketvault migrate`: applies pending migrations to the storage the configuration names. */
export async function migrateStorage(config: Config) {
  const backend = await openBackend(config, createLogger('silent'));
  await backend.close();
  return backend.migrations;
}

/** The storage the configuration names, migrated. */
async function openBackend(config: Config, log: Logger): Promise<Backend & { migrations: MigrationResult }> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, log) : openSqlite(config, log);
}

/** PostgreSQL: several instances share it; the SQLite-only commands say what to use instead. */
async function openPostgres(url: string, log: Logger): Promise<Backend & { migrations: MigrationResult }> {
  const storage = await createPostgresStorage({ url, log });
  const limits = createPgCustomerRateLimits(storage.pool);
  let lastPrune = 0;
  const sqliteOnly = (what: string, instead: string) => () => {
    throw new BadRequest('sqlite_only', `${what} works on the embedded SQLite file; with DATABASE_URL (PostgreSQL) ${instead}.`);
  };
  return {
    storage,
    migrations: storage.migrations,
    status: () => ({ failingFast: false, walTruncationPending: false, faults: {} }),
    verifyAudit: (_auditKey, _head, _workers, inProcess) => inProcess(),
    backupTo: sqliteOnly('`backup`', 'use pg_dump, then `ticketvault audit verify` against a restored copy (README "Several instances")'),
    walTruncation: { pending: () => false, settle: async () => true },
    sharedRateLimits: async (key, now, perMinute) => {
      try {
        if (now - lastPrune > 60_000) {
          lastPrune = now;
          await limits.prune(now);
        }
        return await limits.take(key, now, perMinute);
      } catch (error) {
        throw pgFaultOf(error) ? new StorageUnavailable(pgFaultOf(error)!, { cause: error }) : error;
      }
    },
    close: () => storage.close(),
  };
}

/** The embedded SQLite file, held by this process while open (`restore` refuses until it is released). */
function openSqlite(config: Config, log: Logger): Backend & { migrations: MigrationResult } {
  // Held while this process has the database open: `restore` refuses until it is released.
  const hold = holdDatabase(config.databasePath);
  let db: Database;
  try {
    db = openDatabase(config.databasePath);
  } catch (error) {
    hold.release();
    throw error;
  }
  let migrations: MigrationResult;
  try {
    migrations = migrateDatabase(db);
    if (migrations.applied.length) log.info({ applied: migrations.applied }, 'database migrated');
  } catch (error) {
    db.close();
    hold.release();
    throw error;
  }
  const storage = createSqliteStorage(db);
  return {
    storage,
    migrations,
    status: () => ({ ...storageFaultStatus(db), walTruncationPending: walTruncationPending(db) }),
    verifyAudit: async (auditKey, head, workers, inProcess) => {
      if (!canVerifyInParallel() || workers === 1) return inProcess();
      const maxSeq = await storage.read((s) => s.audit.maxSeq());
      return verifyChainInParallel({ databasePath: config.databasePath, auditKey, maxSeq, workers: workers ?? defaultVerifyWorkers(maxSeq), head });
    },
    backupTo: (file) => backupDatabase(db, file),
    walTruncation: { pending: () => walTruncationPending(db), settle: (timeoutMs) => settleWalTruncation(db, timeoutMs) },
    close: async () => {
      await storage.close();
      hold.release();
    },
  };
}

/** A master key that does not open this database's keys is a configuration error, named as such. */
function keyringConfigError(config: Config, error: unknown): unknown {
  if (!(error instanceof KeyringError)) return error;
  return new ConfigError(
    config.masterKeyFile ? 'MASTER_KEY_FILE' : 'MASTER_KEY',
    `this database's keys were wrapped under a master key that is not configured (${error.message}); ` +
      'set the master key this vault was created with, or list it after the new one while rotating',
  );
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
  if (config.databaseUrl) {
    throw new BadRequest('sqlite_only', '`restore` works on the embedded SQLite file; with DATABASE_URL (PostgreSQL) use pg_restore, then `ticketvault audit verify` (README "Several instances").');
  }
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger('silent');
  await initSodium();
  const keyring = new Keyring(loadMasterKeys(config, options.warn ?? (() => {})));
  return restoreDatabase({
    databasePath: config.databasePath,
    backupFile,
    check: async (copy, replaced) => {
      if (createSqliteStores(copy).vaultKeys.list('audit').length === 0) {
        throw new BadRequest('not_a_backup', `${backupFile} holds no vault keys: it is not a ticketvault backup; nothing was restored.`);
      }
      // The copy's own storage, not closed here: restoreDatabase closes the connection it opened.
      const storage = createSqliteStorage(copy);
      let keys: VaultKeys;
      try {
        keys = await loadVaultKeys({ storage, keyring, clock });
      } catch (error) {
        if (!(error instanceof KeyringError)) throw error;
        throw new BadRequest(
          'master_key_mismatch',
          `${backupFile} was made under a master key that is not configured (${error.message}); set the master key of the vault it came from. Nothing was restored.`,
        );
      }
      const audit = createAudit({ storage, auditKey: keys.auditKey, clock });
      const chain = await audit.verifyChain({ head: options.head });
      if (!chain.ok) {
        throw new BadRequest('audit_chain_broken', `the audit chain in ${backupFile} is broken at event ${chain.firstBadSeq}: ${chain.problem}. Nothing was restored.`);
      }
      const ended = replaced ? endedCredentialsIn(replaced) : null;
      const endedAgain = ended ? await endCredentialsAgain({ storage, audit, clock }, ended) : 0;
      const { purged } = await createPurge({ storage, audit, clock, log, notify: false }).runPurge();
      const head = await storage.read((s) => s.audit.head());
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
function endedCredentialsIn(replaced: Database): Array<{ id: string; endedBecause: EndReason | null }> | null {
  try {
    return createSqliteStores(replaced).credentials.listEnded();
  } catch {
    return null;
  }
}

/**
 * A timer's pass that outlives failures (a full disk, a locked database): each failure is counted
 * and the pass runs again at the next tick; the log says when failing starts and when it ends,
 * not at every tick in between.
 */
export function survivingFaults(name: string, pass: () => Promise<unknown>, countFailure: () => void, log: Logger): () => Promise<void> {
  let failing = false;
  // A tick that comes while the pass is still running joins it instead of starting (or counting) it again.
  let running: Promise<void> | null = null;
  return () =>
    (running ??= pass()
      .then(
        () => {
          if (failing) log.info(`${name} works again`);
          failing = false;
        },
        (err: unknown) => {
          countFailure();
          if (!failing) log.error({ err }, `${name} failed; retrying at every tick`);
          failing = true;
        },
      )
      .finally(() => {
        running = null;
      }));
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
  const sendNotices = survivingFaults(
    'notice pass',
    async () => {
      await vault.notices.sendDueNotices();
      await vault.portalMails.sendDuePortalMails();
    },
    () => vault.metrics.noticePassFailures.inc(),
    log,
  );
  void sendNotices();
  const noticeTimer = setInterval(sendNotices, options.noticeIntervalMs ?? NOTICE_INTERVAL_MS);
  noticeTimer.unref();
  if (vault.notices.transport.kind === 'none') {
    log.warn('SMTP_URL is not set: customers and engineers get no notices (each is logged as not sent)');
  } else {
    log.info({ notices: vault.notices.transport.description }, 'notices go to');
  }

  // The webhook sender: pending deliveries survive restarts and go out now.
  const sendWebhooks = survivingFaults('webhook pass', () => vault.webhookSender.sendDueWebhooks(), () => vault.metrics.webhookPassFailures.inc(), log);
  void sendWebhooks();
  const webhookTimer = setInterval(sendWebhooks, options.webhookIntervalMs ?? WEBHOOK_INTERVAL_MS);
  webhookTimer.unref();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(timer);
      clearInterval(noticeTimer);
      clearInterval(webhookTimer);
      // A delivery or mail under way is cut short now, not after the HTTP connections drain or its timeout.
      const sending = Promise.all([vault.webhookSender.stopSending(), vault.notices.stopSending(), vault.portalMails.stopSending()]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10000).unref();
      });
      await sending;
      await vault.close();
      log.info('ticketvault stopped');
      log.flush?.();
    })());

  log.info({ url, publicUrl: config.publicUrl, database: config.databaseLabel }, 'ticketvault listening');
  return { server, url, stop };
}
