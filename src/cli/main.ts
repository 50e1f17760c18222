import os from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import pino from 'pino';
import { ConfigError, readConfig, type Config } from '../config.js';
import { VaultError } from '../errors.js';
import { createLogger } from '../logger.js';
import { OUTGOING_EVENT_TYPES } from '../outgoing-webhooks/outgoing-webhook-events.js';
import type { WebhookEndpointView } from '../outgoing-webhooks/outgoing-webhooks.js';
import { composeVault, migrateStorage, restoreVault, startServer, type Vault } from '../main.js';
import type { ChangedBy, StaffView } from '../staff-auth/staff.js';
import { STAFF_ROLES } from '../staff-auth/staff-roles.js';
import { parseTtl } from '../staff-auth/staff-tokens.js';
import { isoDateTime, parseInput } from '../validation.js';

/** How long `purge` waits for a reader elsewhere to let go of destroyed pages in the WAL. */
const WAL_TRUNCATION_WAIT_MS = 30_000;

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  readStdin: () => Promise<string>;
  /** Asks at the terminal without echoing what is typed; fails when there is no terminal. */
  promptSecret?: (question: string) => Promise<string>;
}

const processIo: CliIo = {
  stdout: (line) => process.stdout.write(line + '\n'),
  stderr: (line) => process.stderr.write(line + '\n'),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  promptSecret: readHiddenFromTerminal,
};

function readHiddenFromTerminal(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(new VaultError(400, 'no_terminal', 'Bad request', 'There is no terminal to ask for a password: pipe it in with --password-stdin.'));
  }
  // Raw mode first, then the prompt: whatever is typed once the prompt shows is neither echoed
  // nor turned into a signal by the terminal (Ctrl-C reaches the handler below).
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          finish();
          reject(new VaultError(400, 'cancelled', 'Bad request', 'cancelled; the password was not changed'));
          return;
        }
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The new password: from standard input with --password-stdin, else asked twice at the terminal. */
async function readNewPassword(io: CliIo, fromStdin: boolean): Promise<string> {
  if (fromStdin) return (await io.readStdin()).replace(/\r?\n$/, '');
  if (!io.promptSecret) throw new VaultError(400, 'no_terminal', 'Bad request', 'Pipe the password in with --password-stdin.');
  const first = await io.promptSecret('New password: ');
  const second = await io.promptSecret('Repeat it: ');
  if (first !== second) throw new VaultError(400, 'password_mismatch', 'Bad request', 'the two passwords differ; nothing was changed');
  return first;
}

/**
 * Staff changes made here are audited as the system acting through the CLI, naming the
 * operating-system account that ran it (whoever has shell access and the master key).
 */
function cliActor(): ChangedBy {
  let user = 'unknown user';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry for this uid (some containers)
  }
  return { actor: { type: 'system', id: null, name: `ticketvault cli (${user})` } };
}

/** `staff list`: one row per member, columns padded to their widest value. */
function staffTable(members: StaffView[]): string[] {
  const signIn = (m: StaffView) => [m.hasPassword ? 'password' : '', m.hasSso ? 'sso' : ''].filter(Boolean).join('+') || 'token only';
  const rows = [
    ['EMAIL', 'NAME', 'ROLE', 'STATUS', 'SIGN-IN', 'TOKENS VALID AFTER'],
    ...members.map((m) => [m.email, m.name, m.role, m.disabled ? 'disabled' : 'active', signIn(m), m.tokensValidAfter ?? '-']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

/** `webhooks list`: one row per endpoint with its delivery state. */
function webhookTable(endpoints: WebhookEndpointView[]): string[] {
  const state = (e: WebhookEndpointView) => {
    const d = e.deliveries;
    const last = d.lastAttemptAt ? `, last ${d.lastStatus ?? d.lastError ?? '-'} at ${d.lastAttemptAt}` : '';
    return `${d.pending} pending, ${d.delivered} delivered, ${d.failed} failed${last}`;
  };
  const rows = [['ID', 'URL', 'EVENTS', 'DELIVERIES'], ...endpoints.map((e) => [e.id, e.url, e.events.join(','), state(e)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

/** Commands other than `serve` log to stderr, so stdout carries only their output. */
async function withVault<T>(fn: (vault: Vault) => Promise<T> | T): Promise<T> {
  const config = readConfig();
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination({ fd: 2, sync: true }));
  const vault = await composeVault(config, { log, warn: (m) => process.stderr.write(`\nWARNING: ${m}\n\n`) });
  try {
    return await fn(vault);
  } finally {
    await vault.close();
  }
}

export function buildCli(io: CliIo = processIo): Command {
  const program = new Command('ticketvault')
    .description('A self-hosted vault for the credentials customers hand to a support desk.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('start the HTTP server (migrates the database and starts the purge timer)')
    .action(async () => {
      const config = readConfig();
      const running = await startServer(config, { warn: (m) => io.stderr(`\n${'!'.repeat(78)}\nWARNING: ${m}\n${'!'.repeat(78)}\n`) });
      printStartBanner(io, config, running.url);
      const shutdown = (signal: string) => {
        io.stderr(`${signal}: stopping ticketvault…`);
        void running.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      io.stdout(JSON.stringify(await migrateStorage(readConfig())));
    });

  program
    .command('purge')
    .description('expire what is due and destroy ended credentials now; prints a JSON summary')
    .action(() =>
      withVault(async (vault) => {
        const summary = await vault.purge.runPurge();
        // A reader elsewhere (a backup, an export) may hold destroyed pages in the WAL: wait for it, bounded.
        const walTruncated = await vault.walTruncation.settle(WAL_TRUNCATION_WAIT_MS);
        if (!walTruncated) io.stderr('the WAL still holds destroyed pages: a reader holds an old snapshot; the next purge or a running server truncates it once it lets go');
        io.stdout(JSON.stringify({ ...summary, walTruncated }));
      }),
    );

  const staff = program.command('staff').description('manage staff members and their tokens');
  staff
    .command('add')
    .description('add a staff member')
    .argument('<email>', 'their e-mail address (the sign-in name)')
    .addOption(new Option('--role <role>', 'what they may do').choices(STAFF_ROLES).makeOptionMandatory())
    .option('--name <name>', 'display name shown in audit rows and to customers')
    .option('--password-stdin', 'read a password for console sign-in from standard input')
    .action((email: string, opts: { role: string; name?: string; passwordStdin?: boolean }) =>
      withVault(async (vault) => {
        const password = opts.passwordStdin ? (await io.readStdin()).replace(/\r?\n$/, '') : undefined;
        const added = await vault.staff.addStaff({ email, role: opts.role, name: opts.name, password }, cliActor());
        io.stdout(`added ${added.role} ${added.email} (${added.name}), id ${added.id}`);
        io.stdout(
          added.hasPassword
            ? `next: sign in at ${vault.config.publicUrl}/console, or npx ticketvault staff token ${added.email}`
            : `next: npx ticketvault staff passwd ${added.email} (console sign-in), or npx ticketvault staff token ${added.email}`,
        );
      }),
    );
  staff
    .command('token')
    .description('print a bearer token (JWT) for a staff member, alone on the last line')
    .argument('<email>')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 8h, 2d', '8h')
    .action((email: string, opts: { ttl: string }) =>
      withVault(async (vault) => {
        const member = await vault.staff.findStaffByEmail(email);
        if (member.disabledAt !== null) throw new VaultError(403, 'staff_disabled', 'Forbidden', `${member.email} is disabled.`);
        const { token, expiresAt } = await vault.staffTokens.issueStaffToken(member, parseTtl(opts.ttl));
        // The token verifies only on a server whose PUBLIC_URL is this issuer: say which, so a token
        // made with another PORT or PUBLIC_URL than the server's is not a mystery 401.
        io.stderr(`token for ${member.email} (${member.role}), valid until ${expiresAt}, for the vault at ${vault.config.publicUrl} (its PUBLIC_URL):`);
        io.stdout(token);
      }),
    );
  staff
    .command('passwd')
    .description("set a staff member's console password; their console sessions end and their bearer tokens are revoked")
    .argument('<email>')
    .option('--password-stdin', 'read the new password from standard input instead of asking at the terminal')
    .action((email: string, opts: { passwordStdin?: boolean }) =>
      withVault(async (vault) => {
        const member = await vault.staff.findStaffByEmail(email);
        const password = await readNewPassword(io, opts.passwordStdin === true);
        await vault.staff.setStaffPassword(member.id, { password }, cliActor());
        io.stdout(`password set for ${member.email}; their console sessions have ended`);
      }),
    );
  staff
    .command('list')
    .description('list staff members as a table')
    .option('--json', 'one JSON object per line instead, for scripts')
    .action((opts: { json?: boolean }) =>
      withVault(async (vault) => {
        const members = await vault.staff.listStaff();
        if (opts.json) for (const s of members) io.stdout(JSON.stringify(s));
        else for (const line of staffTable(members)) io.stdout(line);
      }),
    );
  /** `staff <name> <email>`: one change to one member, said in one line. */
  const memberChange = (name: string, description: string, change: (staff: Vault['staff'], id: string, by: ChangedBy) => Promise<StaffView>, said: (s: StaffView) => string) =>
    staff
      .command(name)
      .description(description)
      .argument('<email>')
      .action((email: string) =>
        withVault(async (vault) => {
          io.stdout(said(await change(vault.staff, (await vault.staff.findStaffByEmail(email)).id, cliActor())));
        }),
      );
  memberChange(
    'disable',
    'disable a staff member; their tokens and console sessions stop working at once',
    (members, id, by) => members.disableStaffMember(id, by),
    (s) => `disabled ${s.email}`,
  );
  memberChange(
    'enable',
    'enable a disabled staff member; tokens issued before stay revoked',
    (members, id, by) => members.enableStaffMember(id, by),
    (s) => `enabled ${s.email}`,
  );
  memberChange(
    'revoke-tokens',
    'revoke every bearer token issued to a staff member so far and end their console sessions',
    (members, id, by) => members.revokeStaffTokens(id, by),
    (s) => `revoked the tokens of ${s.email} issued up to ${s.tokensValidAfter}; their console sessions have ended`,
  );
  staff
    .command('reset-mfa')
    .description("remove a staff member's second factors and recovery codes (they lost them); they enrol again at next sign-in if MFA is required")
    .argument('<email>')
    .action((email: string) =>
      withVault(async (vault) => {
        const member = await vault.staff.findStaffByEmail(email);
        await vault.secondFactors.resetSecondFactors(member.id, cliActor());
        io.stdout(`removed the second factors and recovery codes of ${member.email}`);
      }),
    );
  staff
    .command('link-sso')
    .description("link a staff member to their subject (the ID token's sub) at the OIDC_ISSUER provider")
    .argument('<email>')
    .argument('<sub>', "the provider's subject identifier for them")
    .action((email: string, sub: string) =>
      withVault(async (vault) => {
        const s = await vault.staff.linkStaffSsoByEmail(email, sub, cliActor());
        io.stdout(`linked ${s.email} to single sign-on subject ${JSON.stringify(sub)} at ${vault.config.oidc!.issuer}`);
      }),
    );

  const webhooks = program.command('webhooks').description('manage outgoing webhook endpoints (signed per Standard Webhooks)');
  webhooks
    .command('add')
    .description('register an endpoint; prints its id and its secret (shown this once)')
    .argument('<url>', 'where events are POSTed (https; http only outside production)')
    .requiredOption('--events <list>', `comma-separated events to send: ${OUTGOING_EVENT_TYPES.join(', ')}`)
    .action((url: string, opts: { events: string }) =>
      withVault(async (vault) => {
        const events = opts.events.split(',').map((e) => e.trim()).filter(Boolean);
        const added = await vault.outgoingWebhooks.addWebhookEndpoint({ url, events }, cliActor());
        io.stderr(`added webhook ${added.id} for ${added.events.join(', ')}; its secret follows, shown this once (the receiver verifies signatures with it):`);
        io.stdout(added.id);
        io.stdout(added.secret);
      }),
    );
  webhooks
    .command('list')
    .description('list endpoints with their delivery state as a table')
    .option('--json', 'one JSON object per line instead, for scripts')
    .action((opts: { json?: boolean }) =>
      withVault(async (vault) => {
        const endpoints = await vault.outgoingWebhooks.listWebhookEndpoints();
        if (opts.json) for (const e of endpoints) io.stdout(JSON.stringify(e));
        else for (const line of webhookTable(endpoints)) io.stdout(line);
      }),
    );
  webhooks
    .command('remove')
    .description('remove an endpoint; its pending deliveries are never sent')
    .argument('<id>')
    .action((id: string) =>
      withVault(async (vault) => {
        await vault.outgoingWebhooks.removeWebhookEndpoint(id, cliActor());
        io.stdout(`removed webhook ${id}`);
      }),
    );

  const audit = program.command('audit').description('verify and export the audit log');
  audit
    .command('verify')
    .description('walk the hash chain; exit 1 naming the first broken row')
    .option('--head <hash>', 'a head hash saved earlier: also detects rows cut off the end')
    .option('--workers <n>', 'threads to verify with (default: 1, or up to 4 for 200k rows and more)')
    .action((opts: { head?: string; workers?: string }) =>
      withVault(async (vault) => {
        const workers = opts.workers === undefined ? undefined : Number(opts.workers);
        if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 64)) {
          throw new VaultError(400, 'invalid_workers', 'Bad request', '--workers must be a whole number from 1 to 64');
        }
        const result = await vault.verifyAudit(opts.head, workers);
        if (!result.ok) {
          io.stderr(`audit chain BROKEN at seq ${result.firstBadSeq}: ${result.problem}`);
          io.stdout(JSON.stringify(result));
          process.exitCode = 1;
          return;
        }
        io.stderr(`audit chain intact: ${result.count} events; save the head to detect truncation later`);
        io.stdout(JSON.stringify(result));
      }),
    );
  audit
    .command('export')
    .description('write audit events as JSON Lines to stdout')
    .option('--since <time>', 'only events at or after this ISO 8601 time')
    .action((opts: { since?: string }) =>
      withVault(async (vault) => {
        const since = opts.since === undefined ? undefined : parseInput(isoDateTime, opts.since, '--since');
        await vault.audit.exportEvents((event) => io.stdout(JSON.stringify(event)), since);
      }),
    );

  program
    .command('keys')
    .description('master key operations')
    .command('rotate')
    .description('re-wrap every key under the current master key (the first listed), replace the intake key pair and the token-signing key (every bearer token issued so far stops working)')
    .action(() =>
      withVault(async (vault) => {
        const summary = await vault.rotateKeys();
        // The old signing key's row was deleted: its wrapped bytes leave the WAL like a purge's.
        if (!(await vault.walTruncation.settle(WAL_TRUNCATION_WAIT_MS))) io.stderr('the WAL still holds the old signing key: a reader holds an old snapshot; a running server truncates it once it lets go');
        io.stdout(JSON.stringify(summary));
        io.stderr('every bearer token issued so far has stopped working: issue new ones with `staff token`.');
        io.stderr('restart running servers so they publish the new intake key; older master keys can be removed once every server has restarted.');
      }),
    );

  program
    .command('backup')
    .description('write a consistent copy of the database to <file> (ciphertext only: keep the master key apart)')
    .argument('<file>')
    .action((file: string) =>
      withVault((vault) => {
        io.stdout(JSON.stringify(vault.backupTo(file)));
      }),
    );

  program
    .command('restore')
    .description('replace the database with a backup made by `backup` (stop the server first); the audit chain is verified first')
    .argument('<file>')
    .option('--head <hash>', 'a head hash saved earlier: refuse a backup whose chain does not reach it')
    .action(async (file: string, opts: { head?: string }) => {
      const config = readConfig();
      const summary = await restoreVault(config, file, { head: opts.head, warn: (m) => io.stderr(`\nWARNING: ${m}\n`) });
      const replaced = summary.replaced === 'destroyed' ? '; the database it replaced was overwritten with zeros and removed' : '';
      io.stderr(`restored ${file} into ${summary.restored}: audit chain verified${replaced}`);
      if (summary.replaced === 'destroyed' && !summary.replacedRead) {
        io.stderr('WARNING: the replaced database could not be read, so credentials withdrawn, revoked or expired after this backup was taken may be live again: end them again');
      }
      io.stdout(JSON.stringify(summary));
    });

  return program;
}

function printStartBanner(io: CliIo, config: Config, url: string) {
  io.stderr(`ticketvault is listening on ${url} (public URL ${config.publicUrl}), database ${config.databaseLabel}`);
  io.stderr('Create the first staff member in another terminal, then sign in to the console:');
  io.stderr('  npx ticketvault staff add you@example.com --role admin --name "Your Name"');
  io.stderr('  npx ticketvault staff passwd you@example.com');
  io.stderr(`  open ${config.publicUrl}/console (or: npx ticketvault staff token you@example.com for the API)`);
}

/**
 * Output piped to a reader that stops early (`ticketvault audit export | head`) ends the command
 * quietly, as other Unix tools do, instead of an EPIPE stack trace; what it had to do is done.
 */
function quietWhenTheReaderLeaves() {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/** Entry point for bin/ticketvault.js; returns the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  if (io === processIo) quietWhenTheReaderLeaves();
  const program = buildCli(io);
  program.configureOutput({ writeOut: (s) => io.stdout(s.trimEnd()), writeErr: (s) => io.stderr(s.trimEnd()) });
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConfigError) {
      io.stderr(`ticketvault: configuration error: ${error.message}`);
      return 2;
    }
    if (error instanceof VaultError) {
      io.stderr(`ticketvault: ${error.message} (${error.code})`);
      return 1;
    }
    io.stderr(`ticketvault: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}
