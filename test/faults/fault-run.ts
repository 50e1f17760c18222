import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { BIN, cliEnv, lines, ROOT, runCli, type CliResult } from '../harness/cli.js';
import { canary, tokenOf, waitFor } from '../harness/test-vault.js';

// The process-level half of the reliability suite (issue 12): `ticketvault serve` in a child
// process on a real data folder, driven over loopback HTTP, killed and faulted from outside.

/** Every test appends its one-line summary here; `node test/faults/figures.mjs` prints the latest of each. */
export const FIGURES_FILE = path.join(ROOT, 'test-results', 'reliability.jsonl');

const running = new Set<ChildProcess>();
// A failing or interrupted test must not leave a server behind holding a port and a data folder.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** For afterAll: SIGKILLs every server this file started that is still running, and waits for them. */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      return exited;
    }),
  );
}

export interface VaultProcessOptions {
  /** Folder holding the database, the `-lock` side file and `.eml` notices (may be a tmpfs). */
  dataDir: string;
  /** The server's stdout and stderr go here, appended across restarts: the logs the canary scans read. */
  logFile: string;
  masterKey?: string;
  env?: Record<string, string>;
  /** Extra `node` flags for `serve` (e.g. `--import` a fault injector). */
  nodeArgs?: string[];
}

export const newMasterKey = () => randomBytes(32).toString('base64');

/** A temp folder that `removeFolder` deletes; the suite keeps everything it makes under one name. */
export const makeFolder = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `tv-faults-${name}-`));
export const removeFolder = (dir: string) => fs.rmSync(dir, { recursive: true, force: true });

/** One vault's data folder and the `ticketvault serve` processes started on it, one at a time. */
export class VaultProcess {
  readonly databasePath: string;
  readonly masterKey: string;
  child: ChildProcess | null = null;
  url = '';
  starts = 0;
  /** Servers that died without being told to (a crash would otherwise pass for the kill's resets). */
  readonly unexpectedExits: string[] = [];
  private readonly stopping = new WeakSet<ChildProcess>();

  constructor(readonly options: VaultProcessOptions) {
    this.databasePath = path.join(options.dataDir, 'ticketvault.db');
    this.masterKey = options.masterKey ?? newMasterKey();
  }

  /** The environment of the server and of every CLI command run against it. */
  get env(): Record<string, string> {
    return {
      NODE_ENV: 'test',
      MASTER_KEY: this.masterKey,
      DATABASE_PATH: this.databasePath,
      // Outside production serve stays on loopback over http; notices go to .eml files in the data folder.
      PUBLIC_URL: 'http://127.0.0.1',
      LOG_LEVEL: 'info',
      CUSTOMER_RATE_LIMIT_PER_MINUTE: '0',
      PURGE_INTERVAL_SECONDS: '3600',
      ...this.options.env,
    };
  }

  cli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
    return runCli(args, { ...this.env, ...env }, { timeoutMs }).then((r) => {
      fs.appendFileSync(this.options.logFile, `$ ticketvault ${args.join(' ')}\n${r.stdout}${r.stderr}`);
      return r;
    });
  }

  /** Starts `serve` on a free loopback port (PORT=0) and resolves with its URL once it listens. */
  async start(): Promise<string> {
    if (this.child) throw new Error('a server is already running on this data folder');
    const from = fs.existsSync(this.options.logFile) ? fs.statSync(this.options.logFile).size : 0;
    const log = fs.openSync(this.options.logFile, 'a');
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), BIN, 'serve'], {
      cwd: ROOT,
      env: cliEnv({ ...this.env, PORT: '0', HOST: '127.0.0.1' }),
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    running.add(child);
    child.once('exit', (code, signal) => {
      running.delete(child);
      if (!this.stopping.has(child)) this.unexpectedExits.push(`serve exited by itself (${code ?? signal})`);
    });
    this.child = child;
    this.starts++;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const text = readFrom(this.options.logFile, from);
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (match) return (this.url = match[1]!);
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        this.child = null;
        this.stopping.add(child);
        child.kill('SIGKILL');
        throw new Error(`serve did not start (exit ${child.exitCode ?? child.signalCode}):\n${text.slice(-2000)}`);
      }
      await sleep(25);
    }
  }

  /** Sends `signal` and waits until the process is gone (SIGTERM escalates to SIGKILL after 15 s). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.stopping.add(child);
    child.kill(signal);
    const escalate = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(escalate);
  }

  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  /** Opens the database file read-only in this process (WAL: the running server is not disturbed). */
  read<T>(fn: (db: BetterSqlite3.Database) => T): T {
    const db = new BetterSqlite3(this.databasePath, { readonly: true, fileMustExist: true, timeout: 10_000 });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  integrityCheck(): string {
    return this.read((db) => db.pragma('integrity_check', { simple: true }) as string);
  }

  /** `ticketvault audit verify`: the exit code and the JSON result it prints. */
  async auditVerify(): Promise<{ code: number | null; result: { ok: boolean; count: number; headHash?: string } }> {
    const r = await this.cli(['audit', 'verify']);
    const last = lines(r.stdout).at(-1) ?? '{}';
    return { code: r.code, result: JSON.parse(last) as { ok: boolean; count: number; headHash?: string } };
  }

  /** `credential.revealed` rows per credential id: what the answered 200s are checked against. */
  revealRowsByCredential(): Map<string, number> {
    const rows = this.read(
      (db) =>
        db.prepare("SELECT credential_id AS id, count(*) AS n FROM audit_events WHERE action = 'credential.revealed' GROUP BY credential_id").all() as {
          id: string;
          n: number;
        }[],
    );
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  /** Adds an engineer with the real CLI and returns a bearer token for them. */
  async engineerToken(): Promise<string> {
    const email = 'ops@vendor.test';
    const added = await this.cli(['staff', 'add', email, '--role', 'engineer', '--name', 'Ops Engineer']);
    if (added.code !== 0) throw new Error(`staff add failed: ${added.stderr}`);
    const issued = await this.cli(['staff', 'token', email, '--ttl', '4h']);
    if (issued.code !== 0) throw new Error(`staff token failed: ${issued.stderr}`);
    return lines(issued.stdout).at(-1)!;
  }
}

function readFrom(file: string, offset: number): string {
  if (!fs.existsSync(file)) return '';
  return fs.readFileSync(file).subarray(offset).toString('utf8');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// HTTP: every answer is tallied; a connection the kill cut is counted apart from answers.

/** An HTTP answer, or status 0 with `reset` when the connection was cut or refused (the kill). */
export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
  ms: number;
  reset?: string;
}

export class Tally {
  requests = 0;
  resets = 0;
  readonly byStatus: Record<number, number> = {};
  /** Every answer ≥ 500 (at most a few kept in full, for the failure message). */
  readonly fiveHundreds: string[] = [];
  answers5xx = 0;
  /** 503 answers' latency, to report the slowest. */
  slowest503Ms = 0;

  count(method: string, route: string, answer: Answer, expected5xx = false): void {
    this.requests++;
    if (answer.status === 0) {
      this.resets++;
      return;
    }
    this.byStatus[answer.status] = (this.byStatus[answer.status] ?? 0) + 1;
    if (answer.status === 503) this.slowest503Ms = Math.max(this.slowest503Ms, answer.ms);
    if (answer.status >= 500 && !(expected5xx && answer.status === 503)) {
      this.answers5xx++;
      if (this.fiveHundreds.length < 5) this.fiveHundreds.push(`${method} ${route} → ${answer.status} ${answer.text.slice(0, 300)}`);
    }
  }
}

export interface Client {
  url(): string;
  token: string;
  tally: Tally;
  /** When true, 503 storage_unavailable / audit_unavailable answers are what the test provokes, not failures. */
  faultExpected?: boolean;
}

export async function call(client: Client, method: string, route: string, body?: unknown, options: { staff?: boolean; timeoutMs?: number } = {}): Promise<Answer> {
  const started = Date.now();
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.staff !== false) headers.Authorization = `Bearer ${client.token}`;
  let answer: Answer;
  try {
    const res = await fetch(`${client.url()}${route}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    answer = { status: res.status, headers: res.headers, body: parsed, text, ms: Date.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reset = cause?.code ?? cause?.message ?? (error as Error).message;
    answer = { status: 0, headers: new Headers(), body: null, text: '', ms: Date.now() - started, reset };
  }
  client.tally.count(method, route.replace(/[0-9a-f-]{36}|[A-Za-z0-9_-]{43}/g, ':id'), answer, client.faultExpected === true && isStorageFault(answer));
  return answer;
}

/** 503 with one of the two fault codes and a Retry-After of whole seconds: DESIGN.md "Faults". */
export function isStorageFault(answer: Answer): boolean {
  return (
    answer.status === 503 &&
    ['storage_unavailable', 'audit_unavailable'].includes(answer.body?.code) &&
    /^[1-9]\d*$/.test(answer.headers.get('retry-after') ?? '') &&
    (answer.headers.get('content-type') ?? '').startsWith('application/problem+json')
  );
}

/** A ticket with an intake link (no use limit), through the staff API. */
export async function openTicket(client: Client, ref: string): Promise<{ ticketId: string; linkToken: string }> {
  const ticket = await call(client, 'POST', '/api/v1/tickets', {
    externalRef: ref,
    subject: `Fault drill ${ref}`,
    customerEmail: 'casey@shop.test',
    customerName: 'Casey Customer',
    supportUntil: new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().slice(0, 10),
  });
  if (ticket.status !== 201) throw new Error(`ticket not created: ${ticket.status} ${ticket.text || ticket.reset}`);
  const link = await call(client, 'POST', `/api/v1/tickets/${ticket.body.id}/intake-links`, {});
  if (link.status !== 201) throw new Error(`link not created: ${link.status}`);
  return { ticketId: ticket.body.id as string, linkToken: tokenOf(link.body.url as string) };
}

export type Fields = Record<string, string>;

/** ftp fields with a fresh canary as the password (and, when `bulk`, KiBs of notes that need pages of their own). */
export function ftpFields(label: string, bulk = 0): Fields {
  const fields: Fields = { host: 'ftp.shop.test', username: 'vendor-support', password: canary(label), port: '22' };
  if (bulk) fields.notes = `${canary(`${label}-notes`)} ${randomBytes(Math.ceil((bulk * 3) / 4)).toString('base64')}`.slice(0, bulk);
  return fields;
}

export interface Submission {
  answer: Answer;
  credentialId?: string;
  receiptToken?: string;
}

export async function submit(client: Client, linkToken: string, fields: Fields, label = 'Shop FTP'): Promise<Submission> {
  const answer = await call(client, 'POST', `/api/v1/intake/${linkToken}/credentials`, { kind: 'ftp', label, fields }, { staff: false });
  if (answer.status !== 201) return { answer };
  return { answer, credentialId: answer.body.credentialId as string, receiptToken: tokenOf(answer.body.receiptUrl as string) };
}

export function reveal(client: Client, credentialId: string): Promise<Answer> {
  return call(client, 'POST', `/api/v1/credentials/${credentialId}/reveal`, { reason: 'Reliability drill: the customer asked us to check the upload' });
}

/** Whether a 200 reveal returned exactly the fields sent (the server adds `protocol`'s default). */
export function revealsExactly(answer: Answer, sent: Fields): boolean {
  if (answer.status !== 200) return false;
  const got = answer.body?.fields as Fields | undefined;
  return !!got && Object.entries(sent).every(([k, v]) => got[k] === v) && Object.keys(got).every((k) => k in sent || k === 'protocol');
}

/** Runs `fn` over `items`, `width` at a time. */
export async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Figures.

/** A small seeded PRNG (mulberry32): the kill instants and the traffic of a run replay from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const seedFrom = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : Math.floor(Math.random() * 2 ** 31));

export interface Figures {
  iterations: number;
  faultsInjected: number;
  requests: number;
  answers5xx: number;
  lostRows: number;
  missingAuditRows: number;
  leakedCanaries: number;
  [more: string]: unknown;
}

function commitOf(): string {
  const head = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? '-dirty' : ''}`;
}

/** Prints the test's one-line JSON summary and appends it to FIGURES_FILE. */
export function reportFigures(test: string, figures: Figures): void {
  const line = JSON.stringify({ test, at: new Date().toISOString(), commit: commitOf(), ...figures });
  process.stdout.write(`${line}\n`);
  fs.mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
  fs.appendFileSync(FIGURES_FILE, `${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Scans: bytes that must be nowhere on disk.

/** Every regular file under `dir` (recursively), or `dir` itself when it is a file. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  if (!fs.statSync(dir).isDirectory()) return [dir];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((item) => {
    const full = path.join(dir, item.name);
    return item.isDirectory() ? filesUnder(full) : item.isFile() ? [full] : [];
  });
}

/** A file's bytes as a reader would see them; a mail also with quoted-printable soft line breaks undone. */
function readable(file: string): Buffer[] {
  const bytes = fs.readFileSync(file);
  if (!file.endsWith('.eml')) return [bytes];
  return [bytes, Buffer.from(bytes.toString('latin1').replace(/=\r?\n/g, ''), 'latin1')];
}

export interface Hit {
  needle: string;
  file: string;
}

/** Where any of `needles` occurs in `files` (named needles: the name is reported, never the bytes). */
export function scanFiles(needles: ReadonlyMap<string, Buffer>, files: readonly string[]): Hit[] {
  const hits: Hit[] = [];
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    const views = readable(file);
    for (const [needle, bytes] of needles) {
      if (views.some((view) => view.includes(bytes))) hits.push({ needle, file });
    }
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------
// Traffic: concurrent customers submitting and engineers revealing, with what each answer proves.

export interface TrafficOptions {
  /** Share of requests that are reveals once something is acknowledged. */
  revealShare?: number;
  /** Share of requests that withdraw (204) or rectify (200) an acknowledged credential, half each. */
  changeShare?: number;
  /** Every n-th submission carries this many bytes of notes (0: none), so it needs pages of its own. */
  bulkBytes?: number;
  bulkEvery?: number;
}

export class Traffic {
  readonly acknowledged = new Map<string, Fields>(); // 201: credential id → the fields sent
  readonly inDoubt = new Map<string, Fields>(); // the answer was cut: password canary → the fields sent
  readonly withdrawn = new Set<string>(); // 204 to the customer's withdrawal
  /** A withdrawal or rectification whose answer was cut: the fields it may still reveal, and whether it may have ended. */
  readonly changesInDoubt = new Map<string, { fields: Fields[]; maybeWithdrawn: boolean }>();
  readonly receipts = new Map<string, string>(); // credential id → its receipt token
  /** Every set of fields sent, submitted or rectified: no file may hold one of their canaries in clear. */
  private readonly sent: Fields[] = [];
  /** Credentials a worker is using: a change never races a reveal of the same credential. */
  private readonly busy = new Set<string>();
  readonly answered200 = new Map<string, number>();
  readonly wrongSecrets = new Set<string>();
  readonly unexpected: string[] = [];
  /** Answers 503 with the fault's code and Retry-After, while the test said a fault was on. */
  readonly refused = { submissions: 0, reveals: 0, changes: 0 };
  /** 503 reveals whose body held a field or the secret. */
  secretsIn503 = 0;
  private submissions = 0;

  constructor(
    readonly client: Client,
    readonly linkTokens: readonly string[],
    readonly random: () => number,
    readonly options: TrafficOptions = {},
  ) {}

  noteSubmission(fields: Fields, { answer, credentialId, receiptToken }: Submission): void {
    this.sent.push(fields);
    if (credentialId) {
      this.acknowledged.set(credentialId, fields);
      this.receipts.set(credentialId, receiptToken!);
    } else if (answer.status === 0) this.inDoubt.set(fields.password!, fields);
    else if (this.client.faultExpected && isStorageFault(answer) && answer.body.code === 'storage_unavailable') this.refused.submissions++;
    else this.unexpected.push(`submission → ${answer.status} ${answer.text.slice(0, 200)}`);
  }

  noteReveal(id: string, answer: Answer): void {
    const sent = this.acknowledged.get(id);
    if (answer.status === 200) {
      this.noteRevealOf(id, sent && revealsExactly(answer, sent) ? sent : undefined);
    } else if (answer.status === 0) {
      return;
    } else if (this.client.faultExpected && isStorageFault(answer) && answer.body.code === 'audit_unavailable') {
      this.refused.reveals++;
      if ('fields' in answer.body || (sent && answer.text.includes(sent.password!))) this.secretsIn503++;
    } else {
      this.unexpected.push(`reveal → ${answer.status} ${answer.text.slice(0, 200)}`);
    }
  }

  async submitOne(): Promise<Submission> {
    const { bulkBytes = 0, bulkEvery = 1 } = this.options;
    const bulk = bulkBytes && ++this.submissions % bulkEvery === 0 ? bulkBytes : 0;
    const fields = ftpFields('drill', bulk);
    const submission = await submit(this.client, this.linkTokens[Math.floor(this.random() * this.linkTokens.length)]!, fields);
    this.noteSubmission(fields, submission);
    return submission;
  }

  async revealOne(id: string): Promise<Answer> {
    const answer = await reveal(this.client, id);
    this.noteReveal(id, answer);
    return answer;
  }

  /** The customer withdraws (204) or rectifies (200) credential `id`; a cut answer leaves it in doubt until the next check. */
  async changeOne(id: string): Promise<void> {
    const fields = this.acknowledged.get(id)!;
    const route = `/api/v1/receipts/${this.receipts.get(id)}/credentials/${id}`;
    if (this.random() < 0.5) {
      const answer = await call(this.client, 'DELETE', route, undefined, { staff: false });
      if (answer.status === 204 || answer.status === 0) this.acknowledged.delete(id);
      if (answer.status === 204) this.withdrawn.add(id);
      else if (answer.status === 0) this.changesInDoubt.set(id, { fields: [fields], maybeWithdrawn: true });
      else this.noteChangeRefused('withdrawal', answer);
      return;
    }
    const next = ftpFields('rectified');
    this.sent.push(next);
    const answer = await call(this.client, 'PUT', route, { fields: next }, { staff: false });
    if (answer.status === 200) this.acknowledged.set(id, next);
    else if (answer.status === 0) {
      this.acknowledged.delete(id);
      this.changesInDoubt.set(id, { fields: [fields, next], maybeWithdrawn: false });
    } else this.noteChangeRefused('rectification', answer);
  }

  /** A refused change leaves the credential as it was: it stays acknowledged with its fields, and the checks reveal it. */
  private noteChangeRefused(change: string, answer: Answer): void {
    if (this.client.faultExpected && isStorageFault(answer) && answer.body.code === 'storage_unavailable') this.refused.changes++;
    else this.unexpected.push(`${change} → ${answer.status} ${answer.text.slice(0, 200)}`);
  }

  /** `width` workers until the returned stop() (which waits for the requests in flight). */
  start(width: number): { stop(): Promise<void> } {
    const { revealShare = 0.5, changeShare = 0 } = this.options;
    let stopped = false;
    const workers = Array.from({ length: width }, async () => {
      while (!stopped) {
        const ids = [...this.acknowledged.keys()].filter((id) => !this.busy.has(id));
        const draw = this.random();
        if (ids.length === 0 || draw >= revealShare + changeShare) {
          await this.submitOne();
          continue;
        }
        const id = ids[Math.floor(this.random() * ids.length)]!;
        this.busy.add(id);
        try {
          if (draw < revealShare) await this.revealOne(id);
          else await this.changeOne(id);
        } finally {
          this.busy.delete(id);
        }
      }
    });
    return {
      stop: async () => {
        stopped = true;
        await Promise.all(workers);
      },
    };
  }

  /** `width` workers for `ms`, then waits for the requests in flight. */
  async runFor(width: number, ms: number): Promise<void> {
    const load = this.start(width);
    await sleep(ms);
    await load.stop();
  }

  /** Once a fault is cleared, the same server takes a submission and reveals it again (bounded wait); then faults count as failures again. */
  async expectServiceResumed(fault: string, limitMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        const { credentialId } = await this.submitOne();
        return credentialId !== undefined && (await this.revealOne(credentialId)).status === 200;
      },
      `a submission and its reveal once the fault (${fault}) cleared`,
      limitMs,
    );
    this.client.faultExpected = false;
  }

  /**
   * Reveals every acknowledged credential (exactly what was last sent) and every withdrawn one
   * (410 credential_withdrawn), and settles the changes left in doubt (one of their outcomes,
   * whole). Returns the ids that broke an acknowledgement.
   */
  async checkAcknowledged(width = 6): Promise<string[]> {
    const lost: string[] = [];
    for (const [id, doubt] of this.changesInDoubt) {
      const answer = await reveal(this.client, id);
      const fields = doubt.fields.find((f) => revealsExactly(answer, f));
      if (fields) {
        this.noteRevealOf(id, fields);
        this.acknowledged.set(id, fields);
      } else if (doubt.maybeWithdrawn && answer.status === 410 && answer.body?.code === 'credential_withdrawn') this.withdrawn.add(id);
      else lost.push(id);
    }
    this.changesInDoubt.clear();
    await inParallel([...this.acknowledged.keys()], width, async (id) => {
      const answer = await this.revealOne(id);
      if (!revealsExactly(answer, this.acknowledged.get(id)!)) lost.push(id);
    });
    await inParallel([...this.withdrawn], width, async (id) => {
      const answer = await reveal(this.client, id);
      if (answer.status === 200) this.noteRevealOf(id);
      if (answer.status !== 410 || answer.body?.code !== 'credential_withdrawn') lost.push(id);
    });
    return lost;
  }

  /** A 200 answer: counted against the audit rows; without the fields it should have returned, a wrong secret. */
  private noteRevealOf(id: string, fields?: Fields): void {
    this.answered200.set(id, (this.answered200.get(id) ?? 0) + 1);
    if (!fields) this.wrongSecrets.add(id);
  }

  /** 200 answers without their committed `credential.revealed` row, summed over credentials. */
  missingAuditRows(vault: VaultProcess): number {
    const rows = vault.revealRowsByCredential();
    let missing = 0;
    for (const [id, answered] of this.answered200) missing += Math.max(0, answered - (rows.get(id) ?? 0));
    return missing;
  }

  get reveals200(): number {
    return [...this.answered200.values()].reduce((a, b) => a + b, 0);
  }

  /** Every canary sent (acknowledged or not), by itself: what no file may hold in clear. */
  canaries(): Map<string, Buffer> {
    return new Map(this.sent.map((f) => [f.password!, Buffer.from(f.password!)]));
  }
}

export interface ClosingChecks {
  /** Acknowledged credentials that did not reveal exactly what was sent, at the end or at any reveal before. */
  lost: string[];
  lostRows: number;
  missingAuditRows: number;
  /** Starts of `serve` after the first: a fault drill must never need one. */
  restarts: number;
  unexpectedExits: string[];
  verified: Awaited<ReturnType<VaultProcess['auditVerify']>>;
  integrity: string;
  leaks: Hit[];
}

/**
 * The end of a drill: every acknowledged credential reveals exactly and every 200 has its audit
 * row; then the server stops, and `audit verify`, `integrity_check` and a plaintext canary scan
 * of the data folder and the logs run.
 */
export async function closingChecks(vault: VaultProcess, traffic: Traffic, width = 6): Promise<ClosingChecks> {
  const lost = [...new Set([...(await traffic.checkAcknowledged(width)), ...traffic.wrongSecrets])];
  const missingAuditRows = traffic.missingAuditRows(vault);
  await vault.stop();
  return {
    lost,
    lostRows: lost.length,
    missingAuditRows,
    restarts: vault.starts - 1,
    unexpectedExits: vault.unexpectedExits,
    verified: await vault.auditVerify(),
    integrity: vault.integrityCheck(),
    leaks: scanFiles(traffic.canaries(), [...filesUnder(vault.options.dataDir), vault.options.logFile]),
  };
}

/** The figures every drill reports from its traffic and closing checks (a leaked secret in a 503 counts as a leaked canary). */
export function drillFigures(tally: Tally, traffic: Traffic, checks: ClosingChecks) {
  return {
    requests: tally.requests,
    answers5xx: tally.answers5xx,
    statuses: tally.byStatus,
    unexpectedExits: checks.unexpectedExits.length,
    acknowledged: traffic.acknowledged.size,
    reveals200: traffic.reveals200,
    restarts: checks.restarts,
    lostRows: checks.lostRows,
    missingAuditRows: checks.missingAuditRows,
    leakedCanaries: checks.leaks.length + traffic.secretsIn503,
  };
}

export function expectClosingChecksPassed(checks: ClosingChecks, tally: Tally, traffic: Traffic): void {
  expect(tally.fiveHundreds).toEqual([]);
  expect(traffic.unexpected).toEqual([]);
  expect(checks.unexpectedExits).toEqual([]);
  expect({ lostRows: checks.lostRows, missingAuditRows: checks.missingAuditRows, secretsIn503: traffic.secretsIn503, leaks: checks.leaks }).toEqual({
    lostRows: 0,
    missingAuditRows: 0,
    secretsIn503: 0,
    leaks: [],
  });
  expect(checks.verified).toMatchObject({ code: 0, result: { ok: true } });
  expect(checks.integrity).toBe('ok');
}

export interface Drill {
  tally: Tally;
  client: Client;
  traffic: Traffic;
}

/**
 * A drill's start: an engineer and their bearer token from the real CLI, `serve` started, a few
 * tickets with an intake link each (through the API), and traffic over them seeded by `seed`.
 */
export async function startDrill(vault: VaultProcess, name: string, seed: number, options: TrafficOptions & { tickets?: number } = {}): Promise<Drill> {
  const tally = new Tally();
  const client: Client = { url: () => vault.url, token: await vault.engineerToken(), tally };
  await vault.start();
  const links = await Promise.all(Array.from({ length: options.tickets ?? 2 }, (_, i) => openTicket(client, `${name}-${seed}-${i}`)));
  return { tally, client, traffic: new Traffic(client, links.map((l) => l.linkToken), seededRandom(seed), options) };
}
