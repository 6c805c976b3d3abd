// The REST API over real sockets, in front of a real in-process gateway (simulated sensors, a file sink): every
// endpoint's shape, values that move as data flows, the event stream, metrics and the OpenAPI document.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { waitFor } from '../../support/wait.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.close();
});

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${h.url}${path}`);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Status {
  version: string;
  gateway: string;
  batches: { count: number; lastBatchMs: number | null; inputRate: { avg: number | null } };
  receivers: Record<
    string,
    { state: string; records: number; recordsPerSecond: number; lastRecordMs: number | null }
  >;
  sinks: Record<
    string,
    {
      state: string;
      sent: number;
      outboxEntries: number;
      outbox: { maxBytes: number; onFull: string; dropped: { full: number; age: number } };
    }
  >;
  intake: { pending: number; backpressured: boolean };
  disk: { totalBytes: number | null; availableBytes: number | null; dbBytes: number | null };
}

describe('health', () => {
  test('healthz answers ok and readyz says ready once the gateway started', async () => {
    expect(await getJson('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getJson('/readyz')).toEqual({ status: 200, body: { ready: true, phase: 'ready' } });
  });
});

describe('status', () => {
  test('shows batches, the receiver, the sink, the intake and the disk, and its counters grow', async () => {
    const first = (await getJson('/api/v1/status')).body as unknown as Status;
    expect(first.gateway).toBe('api-test');
    expect(first.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(first.receivers.sensors?.state).toBe('connected');
    expect(first.sinks.results?.state).toBe('connected');
    expect(first.intake.backpressured).toBe(false);
    expect(first.disk.totalBytes).toBeGreaterThan(0);
    expect(first.disk.availableBytes).toBeGreaterThan(0);
    expect(first.disk.dbBytes).toBeGreaterThan(0);
    const later = await waitFor('records and batches to grow', async () => {
      const s = (await getJson('/api/v1/status')).body as unknown as Status;
      const r = s.receivers.sensors;
      return r !== undefined &&
        r.records > (first.receivers.sensors?.records ?? 0) &&
        r.recordsPerSecond > 0 &&
        (s.batches.lastBatchMs ?? 0) > (first.batches.lastBatchMs ?? 0) &&
        (s.batches.inputRate.avg ?? 0) > 0 &&
        (s.sinks.results?.sent ?? 0) > 0
        ? s
        : undefined;
    });
    expect(later.receivers.sensors?.lastRecordMs).toBeGreaterThan(0);
    expect(later.sinks.results?.outbox).toMatchObject({
      maxBytes: 256 * 1024 * 1024,
      onFull: 'drop-oldest',
      dropped: { full: 0, age: 0 },
    });
  });
});

describe('pipelines', () => {
  test('lists the configured pipeline', async () => {
    const { status, body } = await getJson('/api/v1/pipelines');
    expect(status).toBe(200);
    expect(body.pipelines).toEqual([
      expect.objectContaining({
        id: 'climate',
        from: ['sensors'],
        to: ['results'],
        window: { lengthMs: 1000, slideMs: 1000, latenessMs: 0, time: 'processing' },
        aggregates: ['n', 'temp_avg'],
      }),
    ]);
  });

  test('serves the latest window results, newest first, at most limit', async () => {
    const results = await waitFor('window results', async () => {
      const { body } = await getJson('/api/v1/pipelines/climate/results?limit=3');
      const list = body.results as { id: string; windowStart: number; values: Record<string, number> }[];
      return list.length === 3 ? list : undefined;
    });
    expect(results[0]?.id).toMatch(/^api-test\/climate\/s-\d\/\d+$/);
    expect(results[0]?.values.n).toBeGreaterThan(0);
    const starts = results.map((r) => r.windowStart);
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
    const newest = starts[0] ?? 0;
    await waitFor('a newer window', async () => {
      const { body } = await getJson('/api/v1/pipelines/climate/results?limit=1');
      const [r] = body.results as { windowStart: number }[];
      return r !== undefined && r.windowStart > newest ? true : undefined;
    });
  });
});

describe('dead letters', () => {
  test('answers an empty list for a receiver that sends only valid readings', async () => {
    expect(await getJson('/api/v1/dead-letters?receiver=sensors&limit=5')).toEqual({
      status: 200,
      body: { deadLetters: [] },
    });
  });
});

describe('reload', () => {
  test('calls the reload callback and says which gateway runs', async () => {
    const before = h.reloads;
    const res = await fetch(`${h.url}/api/v1/reload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ reloaded: true, gateway: 'api-test' });
    expect(h.reloads).toBe(before + 1);
  });
});

describe('events', () => {
  test('streams batch events and heartbeats, and drops a client that disconnects', async () => {
    const abort = new AbortController();
    const res = await fetch(`${h.url}/api/v1/events`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (
      !(text.includes('event: batch\n') && text.includes('event: heartbeat\n')) &&
      Date.now() < deadline
    ) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const frame = text.split('\n\n').find((f) => f.startsWith('event: batch\n'));
    expect(frame, text).toBeDefined();
    const data = JSON.parse((frame ?? '').split('\ndata: ')[1] ?? '{}') as {
      batch: { batchTimeMs: number; records: number };
    };
    expect(data.batch.batchTimeMs).toBeGreaterThan(0);
    expect(text).toContain('event: heartbeat\n');
    expect(h.api.eventClients).toBe(1);
    abort.abort();
    await waitFor('the client to be dropped', () => (h.api.eventClients === 0 ? true : undefined));
  });
});

/** Parses the Prometheus text format strictly enough to fail on a malformed line. */
function parseMetrics(text: string): { name: string; labels: string; value: number }[] {
  const samples: { name: string; labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a metric line: ${line}`);
    samples.push({ name: m[1] ?? '', labels: m[2] ?? '', value: Number(m[3]) });
  }
  return samples;
}

describe('metrics', () => {
  test('exposes the gateway in the Prometheus format with the conventional names', async () => {
    const res = await fetch(`${h.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(await res.text());
    const one = (name: string, labels = '') => samples.find((s) => s.name === name && s.labels === labels);
    expect(one('sluice_receiver_records_total', '{receiver="sensors"}')?.value).toBeGreaterThan(0);
    expect(one('sluice_receiver_dead_letters_total', '{receiver="sensors"}')?.value).toBe(0);
    expect(one('sluice_batch_processing_seconds_count')?.value).toBeGreaterThan(0);
    expect(one('sluice_batch_scheduling_delay_seconds_count')?.value).toBeGreaterThan(0);
    expect(one('sluice_outbox_entries', '{sink="results"}')).toBeDefined();
    expect(one('sluice_outbox_bytes', '{sink="results"}')).toBeDefined();
    expect(one('sluice_outbox_dropped_total', '{sink="results",reason="full"}')?.value).toBe(0);
    expect(one('sluice_outbox_dropped_total', '{sink="results",reason="age"}')?.value).toBe(0);
    expect(one('sluice_intake_pending_records')).toBeDefined();
    expect(one('sluice_intake_backpressured')?.value).toBe(0);
    expect(one('process_resident_memory_bytes')?.value).toBeGreaterThan(0);
    const before = one('sluice_receiver_records_total', '{receiver="sensors"}')?.value ?? 0;
    await waitFor('the records counter to grow', async () => {
      const again = parseMetrics(await (await fetch(`${h.url}/metrics`)).text());
      const now = again.find((s) => s.name === 'sluice_receiver_records_total')?.value ?? 0;
      return now > before ? true : undefined;
    });
  });
});

describe('openapi', () => {
  test('lists every route with its schemas', async () => {
    const { status, body } = await getJson('/api/v1/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    const paths = body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths).sort()).toEqual(
      [
        '/healthz',
        '/readyz',
        '/metrics',
        '/api/v1/status',
        '/api/v1/pipelines',
        '/api/v1/pipelines/{id}/results',
        '/api/v1/dead-letters',
        '/api/v1/reload',
        '/api/v1/events',
        '/api/v1/openapi.json',
        '/api/v1/alerts',
        '/api/v1/alerts/{id}/silence',
        '/api/v1/silences',
        '/api/v1/silences/{silenceId}',
        '/api/v1/batches',
      ].sort(),
    );
    expect(Object.keys(paths['/api/v1/reload'] ?? {})).toEqual(['post']);
    expect(Object.keys(paths['/api/v1/silences/{silenceId}'] ?? {})).toEqual(['delete']);
    expect(JSON.stringify(paths['/api/v1/alerts/{id}/silence'])).toContain('duration');
    expect(JSON.stringify(paths['/api/v1/status'])).toContain('recordsPerSecond');
  });
});
