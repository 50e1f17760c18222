import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, Tally, type Client } from '../faults/fault-run.js';
import { buildIfStale } from '../harness/cli.js';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.js';
import { startWebhookReceiver, verifyStandardWebhook, type WebhookReceiver } from '../harness/webhook-receiver.js';
import { addStaffWithToken, sharedEnv, startInstances, stopInstances, unreachable, type Instance } from './instances.js';

// DESIGN "Outgoing webhooks" and "Storage backends and several instances": two real `ticketvault
// serve` processes on one PostgreSQL database, each running its webhook sender. Every event is
// delivered once (one 2xx per webhook-id), whichever instance wrote it and whichever claims it,
// also when first tries fail; and each ticket's events arrive in order.

const TICKETS = 24;

describe('outgoing webhooks with two instances on one PostgreSQL database', () => {
  let db: TestDatabase | undefined;
  let receiver: WebhookReceiver;
  let instances: Instance[] = [];
  const tally = new Tally();
  let admin: string;
  let engineer: string;
  const as = (instance: Instance, token: string): Client => ({ url: () => instance.url, token, tally });

  beforeAll(async () => {
    buildIfStale();
    try {
      db = await createTestDatabase();
    } catch (error) {
      throw unreachable(error);
    }
    receiver = await startWebhookReceiver();
    const env = sharedEnv(db.url, { CUSTOMER_RATE_LIMIT_PER_MINUTE: '0' });
    admin = await addStaffWithToken(env, 'admin@vendor.test', 'admin', 'Ada Admin');
    engineer = await addStaffWithToken(env, 'ops@vendor.test', 'engineer', 'Ops Engineer');
    instances = await startInstances(2, env);
  }, 130_000);

  afterAll(async () => {
    await stopInstances(instances);
    await receiver?.close();
    await db?.drop();
  }, 30_000);

  it('delivers each event exactly once, in order per ticket, with first tries failing', async () => {
    const added = await call(as(instances[0]!, admin), 'POST', '/api/v1/webhooks', { url: receiver.url, events: ['ticket.created', 'ticket.closed', 'ticket.reopened'] });
    expect(added.status).toBe(201);
    const secret = (added.body as { secret: string }).secret;
    // The other instance reads the endpoints again within 5 s.
    await sleep(5500);

    // Every third first try fails: those events are retried 5 s later, maybe by the other instance.
    const tried = new Set<string>();
    let n = 0;
    receiver.answer = (hook) => {
      const first = !tried.has(hook.id);
      tried.add(hook.id);
      return first && n++ % 3 === 0 ? 500 : 204;
    };

    const refs: string[] = [];
    await Promise.all(
      Array.from({ length: TICKETS }, async (_, i) => {
        const ref = `TW-${randomBytes(4).toString('hex')}`;
        refs.push(ref);
        const ticket = await call(as(instances[i % 2]!, engineer), 'POST', '/api/v1/tickets', {
          externalRef: ref,
          subject: 'Two instances, one outbox',
          customerEmail: 'casey@shop.test',
          supportUntil: new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10),
        });
        expect(ticket.status).toBe(201);
        const id = (ticket.body as { id: string }).id;
        expect((await call(as(instances[(i + 1) % 2]!, engineer), 'POST', `/api/v1/tickets/${id}/close`)).status).toBe(200);
        expect((await call(as(instances[i % 2]!, engineer), 'POST', `/api/v1/tickets/${id}/reopen`)).status).toBe(200);
      }),
    );

    const expected = TICKETS * 3;
    const delivered = () => receiver.received.filter((r) => r.answered === 204);
    for (let waited = 0; delivered().length < expected && waited < 60_000; waited += 500) await sleep(500);
    // Long enough for a duplicate to show: a pass every 2 s on each instance, retries after 5 s.
    await sleep(7000);

    const ok = delivered();
    expect(ok).toHaveLength(expected);
    expect(new Set(ok.map((r) => r.id)).size).toBe(expected);
    for (const hook of receiver.received) expect(verifyStandardWebhook(secret, hook)).toBe(true);
    expect(receiver.received.filter((r) => r.answered === 500).length).toBeGreaterThan(0);

    // Per ticket: created, closed, reopened, in that order, each attempt after the one before was answered.
    const byRef = new Map<string, string[]>();
    for (const hook of receiver.received) {
      const body = JSON.parse(hook.body) as { type: string; data: { externalRef: string } };
      byRef.set(body.data.externalRef, [...(byRef.get(body.data.externalRef) ?? []), `${body.type}:${hook.answered}`]);
    }
    expect([...byRef.keys()].sort()).toEqual([...refs].sort());
    for (const seen of byRef.values()) {
      const deliveredTypes = seen.filter((s) => s.endsWith(':204')).map((s) => s.split(':')[0]);
      expect(deliveredTypes).toEqual(['ticket.created', 'ticket.closed', 'ticket.reopened']);
      // A later event never went out while an earlier one was still waiting for its 2xx.
      const firstTry = (type: string) => seen.findIndex((s) => s.startsWith(`${type}:`));
      const okAt = (type: string) => seen.indexOf(`${type}:204`);
      expect(firstTry('ticket.closed')).toBeGreaterThan(okAt('ticket.created'));
      expect(firstTry('ticket.reopened')).toBeGreaterThan(okAt('ticket.closed'));
    }

    const list = await call(as(instances[1]!, admin), 'GET', '/api/v1/webhooks');
    expect((list.body as { items: Array<{ deliveries: unknown }> }).items[0]!.deliveries).toMatchObject({ pending: 0, delivered: expected, failed: 0 });
    expect(tally.fiveHundreds).toEqual([]);
  }, 120_000);
});
