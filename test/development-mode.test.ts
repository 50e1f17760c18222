import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { parseMail } from './harness/smtp-sink.js';
import { createTestVault, makeTempDir, openTicketWithLink, revealAs, submitCredential, type TestVault } from './harness/test-vault.js';

// DESIGN.md "Security rules", development mode (finding 10): NODE_ENV not `production` listens on
// loopback only, and notices saved as `.eml` files never hold receipt links in clear.

jest.setTimeout(60_000);

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'ticketvault.js');

// The bin rebuilds dist/ when src/ is newer: once here, not inside a test's time.
beforeAll(() => {
  spawnSync(process.execPath, [BIN, '--help'], { cwd: ROOT, stdio: 'ignore', timeout: 150_000 });
}, 160_000);

/** `ticketvault serve` in a child process with only these keys; resolves when it exits (killed after 20 s). */
function serve(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr });
    });
  });
}

describe('`ticketvault serve` outside production', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each<[string, Record<string, string>]>([
    ['NODE_ENV unset and HOST=0.0.0.0', { HOST: '0.0.0.0' }],
    ['NODE_ENV=development and HOST=::', { NODE_ENV: 'development', HOST: '::' }],
    ['NODE_ENV unset and an https PUBLIC_URL', { PUBLIC_URL: 'https://vault.example.com' }],
    ['NODE_ENV=test and an https PUBLIC_URL', { NODE_ENV: 'test', PUBLIC_URL: 'https://vault.example.com' }],
  ])('with %s exits non-zero naming NODE_ENV, and creates no data folder and no key', async (_case, env) => {
    const dataDir = path.join(dir, 'data');
    const result = await serve({ DATABASE_PATH: path.join(dataDir, 'ticketvault.db'), PORT: '0', ...env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/configuration error: NODE_ENV: .*NODE_ENV=production/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('notices saved as .eml files (no SMTP_URL, outside production)', () => {
  let tv: TestVault;
  beforeEach(async () => {
    tv = await createTestVault();
  });
  afterEach(() => tv.close());

  it('never hold the receipt token, after a submission, a reveal and a withdrawal', async () => {
    const { linkToken } = await openTicketWithLink(tv);
    const { credentialId, receiptToken } = await submitCredential(tv, linkToken);
    await revealAs(tv, credentialId).expect(200);
    await tv.http.delete(`/api/v1/receipts/${receiptToken}/credentials/${credentialId}`).expect(204);
    expect(await tv.vault.notices.sendDueNotices()).toMatchObject({ sent: 3, failed: 0 });

    const folder = path.join(tv.dir, 'outbox-mail');
    const files = fs.readdirSync(folder);
    expect(files.map((f) => f.replace(/^.*-/, '')).sort()).toEqual(['destruction.eml', 'reveal.eml', 'submission.eml']);
    for (const file of files) {
      const raw = fs.readFileSync(path.join(folder, file), 'utf8');
      const { body } = parseMail(raw);
      expect({ file, inRaw: raw.includes(receiptToken), inBody: body.includes(receiptToken), link: body.includes('/r/') }).toEqual({
        file,
        inRaw: false,
        inBody: false,
        link: false,
      });
    }
  });
});
