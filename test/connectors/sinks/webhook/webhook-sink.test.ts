// The webhook sink against a real local HTTP server that checks signatures on its own: order, signing (whsec_
// and plain secrets), and what each kind of answer means for the entries (ack, retry, dead letter).
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { webhookSinkConfigSchema } from '../../../../connectors/sinks/webhook/config.js';
import { createSink } from '../../../../connectors/sinks/webhook/index.js';
import { retryAfterMs } from '../../../../connectors/sinks/webhook/sink.js';
import {
  PermanentSinkError,
  SinkSendError,
  type OutboxEntry,
  type SinkHost,
} from '../../../../connectors/types.js';
import { startWebhookServer, verify, type WebhookServer } from './webhook-server.js';

const SECRET = `whsec_${Buffer.from('a 24-byte test secret!!!').toString('base64')}`;

const logged: unknown[] = [];
const host: SinkHost = {
  disconnected: () => undefined,
  durability: 'process',
  log: {
    debug: (o) => logged.push(o),
    info: (o) => logged.push(o),
    warn: (o) => logged.push(o),
    error: (o) => logged.push(o),
  },
};

let server: WebhookServer;
beforeAll(async () => {
  server = await startWebhookServer(SECRET);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.received.length = 0;
});

async function connected(options: { secret?: string; timeout?: string; url?: string; format?: string } = {}) {
  const config = webhookSinkConfigSchema.parse({
    type: 'webhook',
    url: options.url ?? server.url,
    secret: options.secret ?? SECRET,
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(options.format === undefined ? {} : { format: options.format }),
  });
  const sink = createSink('ops', config, host);
  await sink.connect();
  return sink;
}

const entry = (n: number): OutboxEntry => ({
  id: `gw/overheat/t-${n}/1000/firing`,
  key: `t-${n}`,
  value: JSON.stringify({ id: `gw/overheat/t-${n}/1000/firing`, status: 'firing', n }),
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('webhook sink', () => {
  test('posts each entry in order, signed so that an independent check verifies it', async () => {
    const sink = await connected();
    const before = Math.floor(Date.now() / 1000);
    await sink.send([entry(1), entry(2), entry(3)]);
    expect(server.received.map((r) => [r.id, r.body, r.verified, r.path])).toEqual(
      [1, 2, 3].map((n) => [entry(n).id, entry(n).value, true, '/hooks/sluice']),
    );
    for (const r of server.received) {
      expect(Number(r.timestamp)).toBeGreaterThanOrEqual(before);
      expect(r.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    }
    await sink.close();
  });

  test('a tampered body, id or timestamp fails verification', async () => {
    const sink = await connected();
    await sink.send([entry(1)]);
    const [r] = server.received;
    if (r === undefined) throw new Error('nothing received');
    expect(verify(SECRET, r.id, r.timestamp, r.body, r.signature)).toBe(true);
    expect(verify(SECRET, r.id, r.timestamp, r.body.replace('firing', 'resolved'), r.signature)).toBe(false);
    expect(verify(SECRET, `${r.id}x`, r.timestamp, r.body, r.signature)).toBe(false);
    expect(verify(SECRET, r.id, String(Number(r.timestamp) + 1), r.body, r.signature)).toBe(false);
    expect(
      verify(`whsec_${Buffer.from('another').toString('base64')}`, r.id, r.timestamp, r.body, r.signature),
    ).toBe(false);
  });

  test('a secret without whsec_ signs with its UTF-8 bytes', async () => {
    const plain = await startWebhookServer('plain secret ✓');
    try {
      await (await connected({ url: plain.url, secret: 'plain secret ✓' })).send([entry(1)]);
      expect(plain.received.map((r) => r.verified)).toEqual([true]);
    } finally {
      await plain.close();
    }
  });

  test('a 500 rejects with the number of entries delivered before it, so only the rest is sent again', async () => {
    server.script({ status: 204 }, { status: 500 });
    const err = await failure((await connected()).send([entry(1), entry(2), entry(3)]));
    expect(err).toBeInstanceOf(SinkSendError);
    expect(err).toMatchObject({ delivered: 1, message: 'HTTP 500' });
    expect(server.received.map((r) => r.id)).toEqual([entry(1).id, entry(2).id]);
  });

  test('a 429 with Retry-After rejects, and the next connect() waits it out', async () => {
    server.script({ status: 429, headers: { 'retry-after': '1' } });
    const sink = await connected();
    const err = await failure(sink.send([entry(1)]));
    expect(err).toMatchObject({ name: 'SinkSendError', delivered: 0, retryAfterMs: 1000 });
    const started = Date.now();
    await sink.connect();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await sink.send([entry(1)]);
    expect(server.received.map((r) => r.answer)).toEqual([
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 200 },
    ]);
  });

  test('no answer within the timeout rejects as retryable', async () => {
    server.script({ hang: true });
    const err = await failure((await connected({ timeout: '200ms' })).send([entry(1)]));
    expect(err).toBeInstanceOf(SinkSendError);
    expect(err).toMatchObject({ delivered: 0, message: 'no answer within 200 ms' });
  });

  test('a redirect is a failure and is not followed', async () => {
    server.script({ redirectTo: '/elsewhere' });
    const err = await failure((await connected()).send([entry(1), entry(2)]));
    expect(err).toBeInstanceOf(SinkSendError);
    expect(err).toMatchObject({ delivered: 0 });
    expect(server.received.map((r) => r.path)).toEqual(['/hooks/sluice']);
  });

  test('a 400 is permanent: the error names the entry, the ones before it were delivered', async () => {
    server.script({ status: 200 }, { status: 400 });
    const err = await failure((await connected()).send([entry(1), entry(2), entry(3)]));
    expect(err).toBeInstanceOf(PermanentSinkError);
    expect(err).toMatchObject({ index: 1, message: 'HTTP 400' });
  });

  test('rejects a send before connect() and after close()', async () => {
    const sink = await connected();
    await sink.close();
    await expect(sink.send([entry(1)])).rejects.toThrow(/not connected/);
    expect(server.received).toEqual([]);
  });

  test('the secret never shows in a log line or the parsed config', () => {
    const config = webhookSinkConfigSchema.parse({ type: 'webhook', url: server.url, secret: SECRET });
    expect(JSON.stringify(config)).not.toContain(SECRET.slice(6));
    expect(JSON.stringify(logged)).not.toContain(SECRET.slice(6));
  });

  test('Retry-After reads delay-seconds and HTTP dates, capped at an hour', () => {
    expect(retryAfterMs('7', 0)).toBe(7000);
    expect(retryAfterMs(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(retryAfterMs('999999', 0)).toBe(3_600_000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(null, 0)).toBeUndefined();
  });

  test('format: slack posts a signed {"text"} summary of an alert, and of any other record', async () => {
    const notification = {
      id: 'gw/overheat/t-17/1000/firing',
      alert: 'overheat',
      status: 'firing',
      severity: 'critical',
      key: 't-17',
      labels: {},
      values: { temp_max: 41.3 },
      startsAt: 1000,
      gateway: 'gw',
    };
    const window = { id: 'gw/climate-1m/t-17/0', values: { n: 3, temp_avg: null } };
    await (
      await connected({ format: 'slack' })
    ).send([
      { id: notification.id, key: 't-17', value: JSON.stringify(notification) },
      { id: window.id, key: 't-17', value: JSON.stringify(window) },
    ]);
    expect(server.received.map((r) => [r.id, JSON.parse(r.body) as unknown, r.verified])).toEqual([
      [notification.id, { text: '[critical] overheat firing: t-17 on gw (temp_max=41.3)' }, true],
      [window.id, { text: 'gw/climate-1m/t-17/0: n=3, temp_avg=null' }, true],
    ]);
  });
});
