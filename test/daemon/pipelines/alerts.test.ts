// Alert rules compiled from config into the pipeline graph: a pipeline's window results (at their window end)
// and a receiver's raw records feed the rules, and the notifications land in the rules' sinks' outputs, after
// the window results of the same batch.
import { describe, expect, test } from 'vitest';
import { checkConfigText } from '../../../daemon/config/load.js';
import type { Config } from '../../../daemon/config/schema.js';
import type { IngestRecord } from '../../../daemon/intake/record.js';
import { compilePipelines } from '../../../daemon/pipelines/compile.js';
import { ManualClock } from '../../../operators/index.js';

const CONFIG = `gateway: { id: gw, labels: { site: greenhouse-7 } }
batch: { interval: 1s }
receivers:
  climate: { type: mqtt, url: mqtt://127.0.0.1:1883, topics: ["sensors/#"], format: json }
pipelines:
  climate-10s:
    from: [climate]
    window: { length: 10s }
    aggregate: { temp_max: max(temp) }
    to: [archive]
sinks:
  archive: { type: file, path: ./out/archive.jsonl }
  ops: { type: file, path: ./out/ops.jsonl }
alerts:
  overheat:
    from: climate-10s
    when: temp_max > 40.0
    for: 10s
    severity: critical
    labels: { room: a }
    notify: [ops]
  silent:
    from: climate
    absent: 3s
    notify: [ops, archive]
`;

function config(): Config {
  const checked = checkConfigText(CONFIG, 'test.yaml', { env: {} });
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return checked.config;
}

const reading = (key: string, eventMs: number, temp: number): IngestRecord => ({
  receiver: 'climate',
  topic: `sensors/${key}`,
  arrivalMs: eventMs,
  eventMs,
  key,
  fields: { temp },
});

describe('alerts in the pipeline graph', () => {
  test('window results fire a condition alert after `for`; a silent key fires an absence alert', async () => {
    const graph = compilePipelines(config(), new ManualClock(0));
    graph.ctx.start({ zeroTimeMs: 0 });
    const temps = [45, 45, 45, 20, 20];
    const ops: Record<string, unknown>[] = [];
    const archiveIds: string[] = [];
    // Sensor t-1 sends once a second for 50 s (one temperature per 10 s window), then falls silent.
    for (let t = 1000; t <= 56_000; t += 1000) {
      const second = t / 1000 - 1;
      graph.feed(second < 50 ? [reading('t-1', second * 1000, temps[Math.floor(second / 10)] ?? 0)] : []);
      await graph.ctx.runBatch(t);
      const outputs = graph.takeOutputs();
      for (const entry of outputs.get('ops') ?? [])
        ops.push(JSON.parse(entry.value) as Record<string, unknown>);
      archiveIds.push(...(outputs.get('archive') ?? []).map((e) => e.id));
    }
    expect(ops).toEqual([
      {
        id: 'gw/overheat/t-1/20000/firing',
        alert: 'overheat',
        status: 'firing',
        severity: 'critical',
        key: 't-1',
        labels: { site: 'greenhouse-7', room: 'a' },
        values: { temp_max: 45 },
        startsAt: 20_000,
        gateway: 'gw',
      },
      expect.objectContaining({ id: 'gw/overheat/t-1/20000/resolved', endsAt: 40_000 }),
      expect.objectContaining({
        id: 'gw/silent/t-1/53000/firing',
        alert: 'silent',
        severity: 'warning',
        labels: { site: 'greenhouse-7' },
        values: { temp: 20 },
      }),
    ]);
    // The absence alert also goes to archive, after that batch's window results.
    expect(archiveIds.filter((id) => id.startsWith('gw/silent/'))).toEqual(['gw/silent/t-1/53000/firing']);
    expect(archiveIds.filter((id) => id.startsWith('gw/climate-10s/'))).toEqual([
      'gw/climate-10s/t-1/0',
      'gw/climate-10s/t-1/10000',
      'gw/climate-10s/t-1/20000',
      'gw/climate-10s/t-1/30000',
    ]);
  });
});
