// The alerts API over real sockets, in front of a real in-process gateway whose alert fires within a second:
// rules with their live instances and history, silences (made, listed, muting notifications at the sink,
// expiring, deleted, kept across a restart), the alert and silence events, and every malformed request.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Silence } from '../../../daemon/pipelines/silences.js';
import { readJsonLines } from '../../support/jsonl.js';
import { waitFor } from '../../support/wait.js';
import { startHarness, type Harness } from './harness.js';

const TOKEN = 'alerts-token-0123456789abcdef';
// `warm` fires for every sensor at the first window (n > 0) and repeats each second; `cold` never fires.
const ALERTS = `api: { token: "\${SLUICE_API_TOKEN}" }
alerts:
  warm:
    from: climate
    when: n > 0
    repeat: 1s
    severity: critical
    notify: [results]
  cold:
    from: climate
    when: n < 0
    notify: [results]
`;

let h: Harness;

beforeAll(async () => {
  h = await startHarness(ALERTS, { SLUICE_API_TOKEN: TOKEN });
});

afterAll(async () => {
  await h.close();
});

const auth = { authorization: `Bearer ${TOKEN}` };

async function call(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = auth,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${h.url}${url}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Instance {
  key: string;
  state: string;
  sinceMs: number;
  values: Record<string, unknown>;
  notified: boolean;
  suppressed: number;
  silencedUntilMs: number | null;
}
interface HistoryEntry {
  id: string;
  key: string;
  status: string;
  reason: string;
  silenced: boolean;
  atMs: number;
}
interface Rule {
  id: string;
  firing: number;
  suppressed: number;
  instances: Instance[];
  history: HistoryEntry[];
}
type SilenceBody = Silence & { suppressed: number };

async function rule(id: string, query = ''): Promise<Rule> {
  const { status, body } = await call('GET', `/api/v1/alerts${query}`);
  expect(status).toBe(200);
  const found = (body.alerts as Rule[]).find((r) => r.id === id);
  if (found === undefined) throw new Error(`no rule ${id}`);
  return found;
}

async function silences(): Promise<SilenceBody[]> {
  const { status, body } = await call('GET', '/api/v1/silences');
  expect(status).toBe(200);
  return body.silences as SilenceBody[];
}

/** Repeat times of the warm alert's notifications for a key that reached the file sink. */
async function repeatsAtSink(key: string): Promise<number[]> {
  const lines = await readJsonLines<{ id: string }>(path.join(h.dir, 'results.jsonl'));
  const prefix = `api-test/warm/${key}/`;
  return lines
    .filter((l) => typeof l.id === 'string' && l.id.startsWith(prefix) && /\/firing\/\d+$/.test(l.id))
    .map((l) => Number(l.id.split('/').pop()));
}

/** Follows /api/v1/events in the background, parsing each frame. */
async function tapEvents(): Promise<{ frames: { type: string; data: unknown }[]; close(): Promise<void> }> {
  const controller = new AbortController();
  const res = await fetch(`${h.url}/api/v1/events`, { headers: auth, signal: controller.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const frames: { type: string; data: unknown }[] = [];
  let buffer = '';
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (type !== undefined && data !== undefined) frames.push({ type, data: JSON.parse(data) });
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    frames,
    close: async () => {
      controller.abort();
      await pump;
    },
  };
}

describe('GET /api/v1/alerts', () => {
  test('lists every rule with its firing keys, their values, and the recent history', async () => {
    const warm = await waitFor('warm firing for all five sensors', async () => {
      const r = await rule('warm');
      return r.firing === 5 ? r : undefined;
    });
    expect(warm.instances.map((i) => i.key).sort()).toEqual(['s-0', 's-1', 's-2', 's-3', 's-4']);
    for (const i of warm.instances) {
      expect(i).toMatchObject({ state: 'firing', notified: true, silencedUntilMs: null });
      expect(i.values.n).toBeGreaterThan(0);
    }
    expect(warm.history.some((e) => e.reason === 'transition' && e.status === 'firing')).toBe(true);
    // Newest first.
    const times = warm.history.map((e) => e.atMs);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect((await rule('warm', '?history=2')).history).toHaveLength(2);
    const cold = await rule('cold');
    expect(cold).toMatchObject({ firing: 0, instances: [], history: [], suppressed: 0 });
  });

  test('streams alert transitions as server-sent events', async () => {
    const tap = await tapEvents();
    const frame = await waitFor('an alert event', () => tap.frames.find((f) => f.type === 'alert'));
    await tap.close();
    const data = frame.data as { transition: HistoryEntry };
    expect(data.transition).toMatchObject({ status: 'firing', silenced: false });
    expect(data.transition.id).toMatch(/^api-test\/warm\/s-\d\//);
  });
});

describe('silences', () => {
  test('a silence of one key mutes its notifications at the sink, not its state, and counts them', async () => {
    const made = await call('POST', '/api/v1/alerts/warm/silence', {
      duration: '2h',
      key: 's-1',
      comment: 'sensor being serviced',
    });
    expect(made.status).toBe(201);
    const silence = made.body.silence as SilenceBody;
    expect(silence).toMatchObject({ alert: 'warm', key: 's-1', comment: 'sensor being serviced' });
    expect(silence.expiresMs - silence.createdMs).toBe(2 * 3600 * 1000);
    expect((await silences()).map((s) => s.id)).toContain(silence.id);

    // Repeats of another key keep reaching the sink; s-1's stop, and are counted instead.
    await waitFor('a repeat of s-2 after the silence at the sink', async () =>
      (await repeatsAtSink('s-2')).some((t) => t >= silence.createdMs + 1000) ? true : undefined,
    );
    expect((await repeatsAtSink('s-1')).filter((t) => t >= silence.createdMs)).toEqual([]);
    const warm = await rule('warm');
    const s1 = warm.instances.find((i) => i.key === 's-1');
    expect(s1).toMatchObject({ state: 'firing', silencedUntilMs: silence.expiresMs });
    expect(s1?.suppressed).toBeGreaterThan(0);
    expect(warm.suppressed).toBeGreaterThan(0);
    expect(warm.history.some((e) => e.key === 's-1' && e.silenced && e.reason === 'repeat')).toBe(true);
    expect(warm.instances.find((i) => i.key === 's-2')?.silencedUntilMs).toBeNull();
    const listed = (await silences()).find((s) => s.id === silence.id);
    expect(listed?.suppressed).toBeGreaterThan(0);

    // Deleted: gone from the list, and a second delete finds nothing.
    const deleted = await call('DELETE', `/api/v1/silences/${silence.id}`);
    expect(deleted.status).toBe(200);
    expect((deleted.body.silence as SilenceBody).id).toBe(silence.id);
    expect((await silences()).map((s) => s.id)).not.toContain(silence.id);
    expect((await call('DELETE', `/api/v1/silences/${silence.id}`)).status).toBe(404);
    const after = Date.now();
    await waitFor('s-1 repeats at the sink again', async () =>
      (await repeatsAtSink('s-1')).some((t) => t >= after + 1000) ? true : undefined,
    );
  });

  test('a silence of every key expires by the daemon’s clock, and notifications resume', async () => {
    const tap = await tapEvents();
    const made = await call('POST', '/api/v1/alerts/warm/silence', { duration: '1500ms' });
    expect(made.status).toBe(201);
    const silence = made.body.silence as SilenceBody;
    const told = (action: string) => () =>
      tap.frames.find(
        (f) =>
          f.type === 'silence' &&
          (f.data as { action: string; silence: { id: string } }).action === action &&
          (f.data as { silence: { id: string } }).silence.id === silence.id,
      );
    await waitFor('a silence created event', told('created'));
    expect(silence.key).toBeNull();
    expect((await rule('warm')).instances.every((i) => i.silencedUntilMs === silence.expiresMs)).toBe(true);
    await waitFor('the silence to expire from the list', async () =>
      (await silences()).some((s) => s.id === silence.id) ? undefined : true,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(silence.expiresMs);
    await waitFor('a silence expired event', told('expired'));
    await tap.close();
    await waitFor('repeats of every key at the sink after the expiry', async () => {
      const keys = ['s-0', 's-1', 's-2', 's-3', 's-4'];
      const resumed = await Promise.all(
        keys.map(async (k) => (await repeatsAtSink(k)).some((t) => t >= silence.expiresMs)),
      );
      return resumed.every(Boolean) ? true : undefined;
    });
    expect((await call('DELETE', `/api/v1/silences/${silence.id}`)).status).toBe(404);
  });

  test('a silence survives a restart of the gateway (it is in the state store)', async () => {
    const made = await call('POST', '/api/v1/alerts/warm/silence', { duration: '2h', key: 's-3' });
    const silence = made.body.silence as SilenceBody;
    await h.restart();
    expect(await silences()).toEqual([expect.objectContaining({ id: silence.id, key: 's-3' })]);
    const s3 = await waitFor('s-3 firing again after the restart', async () =>
      (await rule('warm')).instances.find((i) => i.key === 's-3'),
    );
    expect(s3.silencedUntilMs).toBe(silence.expiresMs);
    expect((await call('DELETE', `/api/v1/silences/${silence.id}`)).status).toBe(200);
  }, 30_000);

  test.each([
    ['an unknown alert', '/api/v1/alerts/nope/silence', { duration: '1h' }, 404],
    ['a malformed alert id', '/api/v1/alerts/Warm!/silence', { duration: '1h' }, 400],
    ['a path in the alert id', '/api/v1/alerts/..%2F..%2Fetc/silence', { duration: '1h' }, 400],
    ['no duration', '/api/v1/alerts/warm/silence', {}, 400],
    ['a duration that is not one', '/api/v1/alerts/warm/silence', { duration: 'soon' }, 400],
    ['a zero duration', '/api/v1/alerts/warm/silence', { duration: '0' }, 400],
    ['a duration over 90 days', '/api/v1/alerts/warm/silence', { duration: '91d' }, 400],
    ['a number for a duration', '/api/v1/alerts/warm/silence', { duration: 3600 }, 400],
    ['a key with a control character', '/api/v1/alerts/warm/silence', { duration: '1h', key: 'a\nb' }, 400],
    ['an unknown field', '/api/v1/alerts/warm/silence', { duration: '1h', until: 'forever' }, 400],
    ['a body that is not JSON', '/api/v1/alerts/warm/silence', '{duration', 400],
  ])('refuses %s', async (_what, url, body, status) => {
    const res = await call('POST', url, body);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(/^SLUICE_API_/);
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.[jt]s:\d+/);
  });

  test.each([
    ['a malformed silence id', '/api/v1/silences/abc', 400],
    ['a path as silence id', '/api/v1/silences/..%2F..%2Fetc%2Fpasswd', 400],
    ['an unknown silence', '/api/v1/silences/00000000-0000-4000-8000-000000000000', 404],
  ])('deleting %s answers %i', async (_what, url, status) => {
    const res = await call('DELETE', url);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(/^SLUICE_API_/);
  });

  test('needs the token to list, make or delete silences', async () => {
    const none = {};
    expect((await call('GET', '/api/v1/alerts', undefined, none)).status).toBe(401);
    expect((await call('GET', '/api/v1/silences', undefined, none)).status).toBe(401);
    expect((await call('POST', '/api/v1/alerts/warm/silence', { duration: '1h' }, none)).status).toBe(401);
    const wrong = { authorization: 'Bearer wrong' };
    expect(
      (await call('DELETE', '/api/v1/silences/00000000-0000-4000-8000-000000000000', undefined, wrong))
        .status,
    ).toBe(401);
    expect(await silences()).toEqual([]);
  });
});

describe('metrics', () => {
  test('count firing keys, silenced notifications and silences per alert', async () => {
    const made = await call('POST', '/api/v1/alerts/warm/silence', { duration: '1h', key: 's-4' });
    const res = await fetch(`${h.url}/metrics`, { headers: auth });
    const text = await res.text();
    expect(text).toMatch(/^sluice_alerts_firing\{alert="warm"\} 5$/m);
    expect(text).toMatch(/^sluice_alerts_firing\{alert="cold"\} 0$/m);
    expect(text).toMatch(/^sluice_alert_notifications_silenced_total\{alert="warm"\} [1-9]\d*$/m);
    expect(text).toMatch(/^sluice_silences_active 1$/m);
    const { id } = made.body.silence as SilenceBody;
    expect((await call('DELETE', `/api/v1/silences/${id}`)).status).toBe(200);
  });
});

describe('GET /api/v1/batches', () => {
  test('serves the last batches oldest first, for the charts to start from', async () => {
    await waitFor('a few batches', async () => {
      const { body } = await call('GET', '/api/v1/batches');
      return (body.batches as unknown[]).length >= 3 ? true : undefined;
    });
    const { body } = await call('GET', '/api/v1/batches?limit=3');
    expect(body.intervalMs).toBe(200);
    const batches = body.batches as { batchTimeMs: number; records: number }[];
    expect(batches).toHaveLength(3);
    const [first, second] = batches;
    expect((second?.batchTimeMs ?? 0) - (first?.batchTimeMs ?? 0)).toBeGreaterThanOrEqual(200);
    expect((await call('GET', '/api/v1/batches?limit=0')).status).toBe(400);
  });
});
