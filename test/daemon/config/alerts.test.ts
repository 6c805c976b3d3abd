// The `alerts:` section: parsed with units and defaults; every mistake (unknown from, unknown sink, a value name
// the pipeline does not have, when and absent together) is a config error naming the key, with a hint.
import { describe, expect, test } from 'vitest';
import { checkConfigText } from '../../../daemon/config/load.js';

const BASE = `gateway: { id: greenhouse-7 }
receivers:
  climate: { type: mqtt, url: mqtt://127.0.0.1:1883, topics: ["sensors/#"], format: json }
pipelines:
  climate-1m:
    from: [climate]
    window: { length: 60s }
    aggregate: { n: count(), temp_max: max(temp) }
    to: [ops]
sinks:
  ops: { type: file, path: ./out/alerts.jsonl }
alerts:
  overheat:
    from: climate-1m
    when: temp_max > 40.0
    for: 30s
    clear: temp_max < 38.0
    severity: critical
    labels: { site: greenhouse-7 }
    repeat: 1h
    notify: [ops]
  sensor-silent:
    from: climate
    absent: 2m
    notify: [ops]
`;

function issuesOf(text: string) {
  const checked = checkConfigText(text, 'test.yaml', { env: {} });
  return checked.ok ? [] : checked.issues.map((i) => ({ path: i.path, message: i.message, hint: i.hint }));
}

function edit(from: string, to: string): string {
  if (!BASE.includes(from)) throw new Error(`BASE has no ${from}`);
  return BASE.replace(from, to);
}

describe('alerts config', () => {
  test('parses durations, severity and defaults', () => {
    const checked = checkConfigText(BASE, 'test.yaml', { env: {} });
    expect(checked.ok ? [] : checked.issues).toEqual([]);
    if (!checked.ok) return;
    expect(checked.config.alerts.overheat).toEqual({
      from: 'climate-1m',
      when: 'temp_max > 40.0',
      for: 30_000,
      clear: 'temp_max < 38.0',
      severity: 'critical',
      labels: { site: 'greenhouse-7' },
      repeat: 3_600_000,
      notify: ['ops'],
    });
    expect(checked.config.alerts['sensor-silent']).toEqual({
      from: 'climate',
      absent: 120_000,
      severity: 'warning',
      notify: ['ops'],
    });
  });

  test('a misspelt value name in when is an error with did-you-mean', () => {
    expect(issuesOf(edit('when: temp_max > 40.0', 'when: temp_mx > 40.0'))).toEqual([
      {
        path: 'alerts.overheat.when',
        message: 'pipeline climate-1m has no value named temp_mx',
        hint: 'did you mean temp_max? its values: n, temp_max',
      },
    ]);
    expect(issuesOf(edit('clear: temp_max < 38.0', 'clear: temp < 38.0'))).toEqual([
      expect.objectContaining({
        path: 'alerts.overheat.clear',
        message: 'pipeline climate-1m has no value named temp',
      }),
    ]);
  });

  test('from must name a pipeline or a receiver; notify must name sinks', () => {
    expect(issuesOf(edit('from: climate-1m', 'from: climate-1h'))).toEqual([
      expect.objectContaining({
        path: 'alerts.overheat.from',
        message: 'no pipeline or receiver with this id (got "climate-1h")',
        hint: expect.stringContaining('did you mean climate-1m?') as unknown,
      }),
    ]);
    expect(issuesOf(edit('    repeat: 1h\n    notify: [ops]', '    repeat: 1h\n    notify: [opps]'))).toEqual(
      [
        expect.objectContaining({
          path: 'alerts.overheat.notify[0]',
          message: 'no sink with this id (got "opps")',
          hint: 'did you mean ops? sinks defined: ops',
        }),
      ],
    );
  });

  test('a condition that does not compile, or when with absent, is an error', () => {
    expect(issuesOf(edit('when: temp_max > 40.0', 'when: temp_max = 40.0'))).toEqual([
      expect.objectContaining({ path: 'alerts.overheat.when', hint: 'CEL compares with ==, not =' }),
    ]);
    expect(issuesOf(edit('absent: 2m', 'absent: 2m\n    when: temp > 1.0'))).toEqual([
      expect.objectContaining({
        path: 'alerts.sensor-silent.absent',
        message: 'an alert has either when or absent, not both',
      }),
    ]);
    expect(issuesOf(edit('    absent: 2m\n', ''))).toEqual([
      expect.objectContaining({
        path: 'alerts.sensor-silent',
        message: 'an alert needs a condition: when or absent',
      }),
    ]);
  });
});
