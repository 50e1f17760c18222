import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';

/** One POST the receiver got: its headers and raw body, and what it answered. */
export interface ReceivedHook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  answered: number | 'dropped' | 'held';
}

/**
 * What the receiver does with a request: answer a status, drop the connection without an answer,
 * or hold it open unanswered (until the sender gives up or the receiver closes).
 */
export type HookAnswer = number | 'drop' | 'hold';

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** Decides each answer (default 204). */
  answer: (hook: Omit<ReceivedHook, 'answered'>) => HookAnswer;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 (port 0), as an endpoint would run one. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const sockets = new Set<net.Socket>();
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    answer: () => 204,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook = {
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const answer = receiver.answer(hook);
      receiver.received.push({ ...hook, answered: answer === 'drop' ? 'dropped' : answer === 'hold' ? 'held' : answer });
      if (answer === 'hold') return;
      if (answer === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('a body the vault must not keep');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hooks/ticketvault`;
  return receiver;
}

/**
 * Verifies a delivery as the Standard Webhooks spec tells a receiver to, written apart from the
 * vault's code: key = base64-decoded secret after `whsec_`, HMAC-SHA256 over `id.timestamp.body`,
 * compared with each `v1,` signature in the header.
 */
export function verifyStandardWebhook(secret: string, hook: Pick<ReceivedHook, 'id' | 'timestamp' | 'signature' | 'body'>): boolean {
  if (!secret.startsWith('whsec_')) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${hook.id}.${hook.timestamp}.${hook.body}`).digest();
  return hook.signature.split(' ').some((sig) => {
    const [version, value] = sig.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
