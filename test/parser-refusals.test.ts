import net from 'node:net';
import { startServer, type RunningServer } from '../src/main.js';
import { createLogger } from '../src/logger.js';
import { createTestVault, type TestVault } from './harness/test-vault.js';

// Requests Node's HTTP parser refuses never reach Express; DESIGN.md: every refusal is a problem body.

/** Sends raw bytes and reads the whole answer until the server closes the connection. */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
  });
}

function parse(answer: string) {
  const [head, body] = answer.split('\r\n\r\n');
  const [statusLine, ...headers] = head!.split('\r\n');
  return {
    status: Number(statusLine!.split(' ')[1]),
    headers: Object.fromEntries(headers.map((h) => [h.slice(0, h.indexOf(':')).toLowerCase(), h.slice(h.indexOf(':') + 1).trim()])),
    body: JSON.parse(body!) as Record<string, unknown>,
  };
}

describe('requests the HTTP parser refuses', () => {
  let tv: TestVault;
  let running: RunningServer;
  beforeAll(async () => {
    tv = await createTestVault();
    running = await startServer({ ...tv.vault.config, port: 0, publicUrl: 'http://127.0.0.1', publicOrigin: 'http://127.0.0.1' }, { clock: tv.clock, log: createLogger('silent'), warn: () => {} });
  });
  afterAll(async () => {
    await running.stop();
    await tv.close();
  });

  it('headers over the limit › answer 431 with a problem body', async () => {
    const answer = parse(await rawExchange(running.url, `GET /api/v1/intake/x HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toEqual({ type: 'urn:ticketvault:problem:headers_too_large', title: expect.any(String), status: 431, detail: expect.any(String), code: 'headers_too_large' });
  });

  it('a request that is not HTTP › answers 400 malformed_request with a problem body that echoes nothing', async () => {
    const answer = await rawExchange(running.url, 'GET /s/CANARY-token HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n');
    const parsed = parse(answer);
    expect(parsed.status).toBe(400);
    expect(parsed.body).toMatchObject({ status: 400, code: 'malformed_request' });
    expect(answer).not.toContain('CANARY');
  });
});
