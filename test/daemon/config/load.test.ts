// Loading a config: the parsed result with its defaults, and for broken configs every error with its key
// path, a specific message, a hint and the line:column, never echoing a substituted value.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkConfigText, loadConfig } from '../../../daemon/config/load.js';
import { SluiceError } from '../../../daemon/errors.js';

// The config from issue 3 (examples/climate.yaml without its comments); each broken case edits one spot.
const BASE = `gateway: { id: greenhouse-7 }
batch: { interval: 1s }
state: { dir: ./state, durability: process }
receivers:
  climate:
    type: mqtt
    url: mqtt://127.0.0.1:1883
    topics: ["sensors/+/telemetry"]
    qos: 1
    format: json
    key: topicParts[1]
    time: ts
pipelines:
  climate-1m:
    from: [climate]
    where: temp > -40.0 && temp < 85.0
    window: { length: 60s, slide: 10s, lateness: 5s }
    aggregate:
      n: count()
      temp_avg: avg(temp)
      temp_max: max(temp)
      temp_p95: p95(temp)
      hum_avg: avg(hum)
    to: [archive]
sinks:
  archive: { type: file, path: ./out/climate.jsonl }
`;

function edit(from: string, to: string): string {
  if (!BASE.includes(from)) throw new Error(`BASE has no ${from}`);
  return BASE.replace(from, to);
}

function issuesOf(text: string, env: Record<string, string> = {}) {
  const checked = checkConfigText(text, 'test.yaml', { env });
  return checked.ok ? [] : checked.issues;
}

describe('a valid config', () => {
  test('parses with units converted and defaults applied', () => {
    const checked = checkConfigText(BASE, 'test.yaml', { env: {} });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const { config } = checked;
    expect(config.batch.interval).toBe(1000);
    expect(config.pipelines['climate-1m']?.window).toEqual({
      length: 60_000,
      slide: 10_000,
      lateness: 5000,
      time: 'event',
    });
    expect(config.receivers.climate).toMatchObject({
      type: 'mqtt',
      qos: 1,
      protocolVersion: 4,
      keepalive: 30_000,
    });
    expect(config.sinks.archive).toEqual({
      type: 'file',
      path: './out/climate.jsonl',
      rotate: { maxBytes: 64 * 1024 * 1024, keep: 5 },
      outbox: { maxBytes: 256 * 1024 * 1024, maxAge: 7 * 86_400_000, onFull: 'drop-oldest' },
      drain: { maxBytesPerSecond: 0 },
    });
    expect(config.api).toEqual({ bind: '127.0.0.1', port: 8080 });
    expect(Object.isFrozen(config.pipelines)).toBe(true);
  });

  test('a window without slide or lateness is tumbling with no lateness', () => {
    const checked = checkConfigText(edit('{ length: 60s, slide: 10s, lateness: 5s }', '{ length: 60s }'));
    expect(checked.ok && checked.config.pipelines['climate-1m']?.window).toEqual({
      length: 60_000,
      slide: 60_000,
      lateness: 0,
      time: 'event',
    });
  });

  test('substitutes variables and files, and keeps secrets out of serialized config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-config-'));
    await writeFile(join(dir, 'mqtt-password'), 'hunter2\n');
    const text = edit(
      '    time: ts\n',
      '    time: ts\n    username: ${MQTT_USER:-sluice}\n    password: ${file:${CREDENTIALS_DIRECTORY}/mqtt-password}\n',
    );
    const checked = checkConfigText(text, 'test.yaml', { env: { CREDENTIALS_DIRECTORY: dir } });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const climate = checked.config.receivers.climate;
    if (climate?.type !== 'mqtt') throw new Error('climate is not an mqtt receiver');
    expect(climate.username).toBe('sluice');
    expect(climate.password?.reveal()).toBe('hunter2');
    expect(JSON.stringify(checked.config)).not.toContain('hunter2');
  });
});

// One fault per case: exactly one issue, at this path, with this message and hint (and position, when given).
const broken: readonly {
  name: string;
  text: string;
  env?: Record<string, string>;
  path: string;
  message: RegExp;
  hint?: RegExp;
  at?: [line: number, column: number];
  code?: string;
}[] = [
  {
    name: 'a duration without a unit',
    text: edit('slide: 10s', 'slide: 10'),
    path: 'pipelines.climate-1m.window.slide',
    message: /a duration needs a unit: a bare number is ambiguous \(got 10\)/,
    hint: /10s or 10ms/,
    at: [17, 35],
  },
  {
    name: 'a misspelt duration unit',
    text: edit('interval: 1s', 'interval: 1sec'),
    path: 'batch.interval',
    message: /unknown duration unit "sec"/,
    hint: /"s"/,
  },
  {
    name: 'an ambiguous size',
    text: edit('path: ./out/climate.jsonl }', 'path: ./out/climate.jsonl, rotate: { maxBytes: 256M } }'),
    path: 'sinks.archive.rotate.maxBytes',
    message: /unknown size unit "M"/,
    hint: /256MiB \(×1024\) or 256MB \(×1000\)/,
  },
  {
    name: 'an unknown receiver in from',
    text: edit('from: [climate]', 'from: [climat]'),
    path: 'pipelines.climate-1m.from[0]',
    message: /no receiver with this id \(got "climat"\)/,
    hint: /did you mean climate\?/,
    at: [15, 12],
  },
  {
    name: 'an unknown sink in to',
    text: edit('to: [archive]', 'to: [upstream]'),
    path: 'pipelines.climate-1m.to[0]',
    message: /no sink with this id/,
    hint: /sinks defined: archive/,
  },
  {
    name: 'a slide that does not divide the length',
    text: edit('slide: 10s', 'slide: 7s'),
    path: 'pipelines.climate-1m.window.slide',
    message: /the slide \(7s\) does not divide the window length \(1m\)/,
    hint: /5s, 6s, 10s/,
  },
  {
    name: 'a slide longer than the window',
    text: edit('slide: 10s', 'slide: 2m'),
    path: 'pipelines.climate-1m.window.slide',
    message: /the slide \(2m\) is longer than the window \(1m\)/,
  },
  {
    name: 'a processing-time slide that is not a multiple of the batch interval',
    text: edit('interval: 1s', 'interval: 3s').replace('lateness: 5s }', 'time: processing }'),
    path: 'pipelines.climate-1m.window.slide',
    message: /multiple of the batch interval \(3s\); this one is 10s/,
    hint: /e\.g\. 12s/,
  },
  {
    name: 'lateness on a processing-time window',
    text: edit('lateness: 5s }', 'lateness: 5s, time: processing }'),
    path: 'pipelines.climate-1m.window.lateness',
    message: /lateness applies to event-time windows only/,
  },
  {
    name: 'an unknown aggregate function',
    text: edit('avg(hum)', 'mean(hum)'),
    path: 'pipelines.climate-1m.aggregate.hum_avg',
    message: /unknown aggregate function "mean"/,
    hint: /did you mean avg\?/,
    at: [23, 16],
  },
  {
    name: 'an aggregate without its field',
    text: edit('avg(hum)', 'avg()'),
    path: 'pipelines.climate-1m.aggregate.hum_avg',
    message: /avg needs a field/,
  },
  {
    name: 'a CEL syntax error',
    text: edit('where: temp > -40.0 && temp < 85.0', 'where: temp > -40.0 and temp < 85.0'),
    path: 'pipelines.climate-1m.where',
    message: /unexpected character/,
    hint: /&&, \|\| and !/,
    at: [16, 25],
    code: 'SLUICE_EXPRESSION_INVALID',
  },
  {
    name: 'an ill-typed CEL expression',
    text: edit('where: temp > -40.0 && temp < 85.0', 'where: topic > 5'),
    path: 'pipelines.climate-1m.where',
    message: /no such overload: string > int/,
    code: 'SLUICE_EXPRESSION_INVALID',
  },
  {
    name: 'a key expression that gives a list',
    text: edit('key: topicParts[1]', 'key: topicParts'),
    path: 'receivers.climate.key',
    message: /a key must be a string or a number, this one gives a list<string>/,
    hint: /topicParts\[1\]/,
    code: 'SLUICE_EXPRESSION_INVALID',
  },
  {
    name: 'a missing environment variable',
    text: edit('url: mqtt://127.0.0.1:1883', 'url: ${MQTT_URL}'),
    path: 'receivers.climate.url',
    message: /environment variable MQTT_URL is not set/,
    hint: /\$\{MQTT_URL:-value\}/,
    at: [7, 10],
    code: 'SLUICE_CONFIG_SUBSTITUTION',
  },
  {
    name: 'a typo in a key',
    text: edit('topics:', 'topic:'),
    path: 'receivers.climate.topic',
    message: /unknown key "topic"/,
    hint: /did you mean "topics"\?/,
    at: [8, 5],
  },
  {
    name: 'a snake_case key',
    text: edit('    time: ts\n', '    time: ts\n    time_format: epoch-ms\n'),
    path: 'receivers.climate.time_format',
    message: /unknown key "time_format"/,
    hint: /keys are camelCase: write "timeFormat"/,
  },
  {
    name: 'a value of the wrong type',
    text: edit('topics: ["sensors/+/telemetry"]', 'topics: sensors/+/telemetry'),
    path: 'receivers.climate.topics',
    message: /expected a list, got a string/,
    hint: /\[a, b\]/,
  },
  {
    name: 'a value outside its set',
    text: edit('durability: process', 'durability: fsyn'),
    path: 'state.durability',
    message: /must be one of "process", "fsync" \(got "fsyn"\)/,
    hint: /did you mean "fsync"\?/,
  },
  {
    name: 'an unknown receiver type',
    text: edit('type: mqtt', 'type: mqtt5'),
    path: 'receivers.climate.type',
    message: /unknown receiver type \(got "mqtt5"\)/,
    hint: /did you mean mqtt\? available receiver types: mqtt/,
  },
  {
    name: 'an id with capitals and spaces',
    text: edit('  climate-1m:', '  Climate 1m:'),
    path: 'pipelines["Climate 1m"]',
    message: /an id uses lowercase letters/,
    hint: /climate-1m/,
    at: [14, 3],
  },
  {
    name: 'a missing required section',
    text: edit('gateway: { id: greenhouse-7 }\n', ''),
    path: 'gateway',
    message: /missing required key "gateway"/,
  },
  {
    name: 'a missing required key',
    text: edit('    topics: ["sensors/+/telemetry"]\n', ''),
    path: 'receivers.climate.topics',
    message: /missing required key "topics"/,
    hint: /Topic filters/,
    at: [5, 3],
  },
  {
    name: 'an API open to the network without a token',
    text: `${BASE}api: { bind: 0.0.0.0 }\n`,
    path: 'api.token',
    message: /needs a token/,
    hint: /bind to 127\.0\.0\.1/,
  },
  {
    name: 'credentials in the broker URL',
    text: edit('mqtt://127.0.0.1:1883', 'mqtt://user:pw@127.0.0.1:1883'),
    path: 'receivers.climate.url',
    message: /credentials do not belong in the URL/,
  },
  {
    name: 'csv without columns',
    text: edit('format: json', 'format: csv'),
    path: 'receivers.climate.columns',
    message: /format: csv needs the column names/,
  },
  {
    name: 'a YAML syntax error',
    text: edit('    qos: 1', '   qos: 1'),
    path: '',
    message: /YAML syntax/,
    at: [9, 1],
  },
  {
    name: 'a duplicated id',
    text: edit('sinks:\n', 'sinks:\n  archive: { type: file, path: ./b.jsonl }\n'),
    path: '',
    message: /YAML syntax: map keys must be unique/,
  },
  {
    name: 'an unquoted reference inside { }',
    text: edit('path: ./out/climate.jsonl', 'path: ${OUT}'),
    path: '',
    message: /YAML syntax/,
    hint: /quote \$\{…\} references/,
  },
  {
    name: 'an empty file',
    text: '# nothing yet\n',
    path: '',
    message: /the config is empty/,
  },
];

describe.each(broken)('$name', ({ text, env, path, message, hint, at, code }) => {
  test('gives one issue naming the key, saying what is wrong and how to fix it', () => {
    const issues = issuesOf(text, env);
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue?.path).toBe(path);
    expect(issue?.message).toMatch(message);
    expect(issue?.hint).toMatch(hint ?? /./);
    expect(issue?.code).toBe(code ?? 'SLUICE_CONFIG_INVALID');
    expect(issue?.file).toBe('test.yaml');
    if (at !== undefined) expect([issue?.line, issue?.column]).toEqual(at);
  });
});

describe('a config with several faults', () => {
  const text = edit('interval: 1s', 'interval: 10')
    .replace('topics:', 'topic:')
    .replace('from: [climate]', 'from: [climat]')
    .replace('avg(hum)', 'mean(hum)')
    .replace('url: mqtt://127.0.0.1:1883', 'url: ${MQTT_URL}');

  test('reports all of them, in file order, not just the first', () => {
    expect(issuesOf(text).map((issue) => [issue.line, issue.path])).toEqual([
      [2, 'batch.interval'],
      [7, 'receivers.climate.url'],
      [8, 'receivers.climate.topic'],
      [15, 'pipelines.climate-1m.from[0]'],
      [23, 'pipelines.climate-1m.aggregate.hum_avg'],
    ]);
  });
});

describe('substituted values in errors', () => {
  test('are never echoed, whatever the error', () => {
    const text = edit('url: mqtt://127.0.0.1:1883', 'url: ${URL}')
      .replace('durability: process', 'durability: "${MODE}"')
      .replace('    time: ts\n', '    time: ts\n    password: ${PASS}\n');
    const issues = issuesOf(text, { URL: 'mqtt://admin:hunter2@10.0.0.1', MODE: 'hunter3', PASS: '4567' });
    expect(issues.map((issue) => issue.path)).toEqual([
      'state.durability',
      'receivers.climate.url',
      'receivers.climate.password',
    ]);
    const printed = JSON.stringify(issues);
    for (const secret of ['hunter2', 'hunter3', '4567']) expect(printed).not.toContain(secret);
  });

  test('that YAML typed as a number get a hint to quote the reference', () => {
    const text = edit('    time: ts\n', '    time: ts\n    password: ${PASS}\n');
    const [issue] = issuesOf(text, { PASS: '007' });
    expect(issue?.message).toBe('expected a string, got a whole number');
    expect(issue?.hint).toMatch(/quote the reference, e\.g\. "\$\{NAME\}"/);
  });

  test('that fail do not also produce schema errors at the same key', () => {
    const text = edit('qos: 1', 'qos: ${QOS}');
    expect(issuesOf(text).map((issue) => issue.code)).toEqual(['SLUICE_CONFIG_SUBSTITUTION']);
  });
});

describe('loadConfig', () => {
  test('reads and validates a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-config-'));
    await writeFile(join(dir, 'ok.yaml'), BASE);
    const config = await loadConfig('ok.yaml', { cwd: dir, env: {} });
    expect(config.gateway.id).toBe('greenhouse-7');
  });

  test.each([
    ['a missing file', 'missing.yaml', undefined, 'SLUICE_CONFIG_NOT_FOUND', /missing\.yaml does not exist/],
    ['a directory', '.', undefined, 'SLUICE_CONFIG_UNREADABLE', /cannot read config file/],
    [
      'an invalid config',
      'bad.yaml',
      edit('slide: 10s', 'slide: 7s'),
      'SLUICE_CONFIG_INVALID',
      /bad\.yaml: 1 error in the config/,
    ],
    [
      'an unset variable',
      'env.yaml',
      edit('url: mqtt://127.0.0.1:1883', 'url: ${MQTT_URL}'),
      'SLUICE_CONFIG_SUBSTITUTION',
      /1 error/,
    ],
  ])('throws a SluiceError for %s', async (_, name, content, code, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-config-'));
    if (content !== undefined) await writeFile(join(dir, name), content);
    const error: unknown = await loadConfig(name, { cwd: dir, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceError);
    expect(error).toMatchObject({ code, exitCode: 2 });
    expect((error as SluiceError).message).toMatch(message);
  });
});
