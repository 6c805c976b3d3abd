// SIGHUP reloads the config of a running `sluice run` process: (a) an edit that keeps a pipeline's id and window
// keeps its state, so a window spanning the reload counts every reading; (b) an invalid config is refused with
// a log line saying why, and the running config goes on; (c) a new window length starts that pipeline fresh
// and the log says so; (d) a valid config that cannot start is reported, and the one that ran goes on. Then
// SIGTERM stops it with exit 0. A real Mosquitto keeps the readings published during a reload in the daemon's
// persistent session.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDaemon, type DaemonProcess } from '../support/daemon.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';

const T0 = 1_700_000_000_000;

let broker: Mosquitto;
let dir: string;
let daemon: DaemonProcess | undefined;
let publisher: MqttClient | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-reload-'));
});

afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  await publisher?.endAsync();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function logLines(d: DaemonProcess): LogLine[] {
  return d
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** Resolves with the n-th log line with this msg (1-based), once it is there. */
function nthLog(d: DaemonProcess, msg: string, n: number): Promise<LogLine> {
  return waitFor(`log line #${n} "${msg}"`, () => {
    if (d.child.exitCode !== null)
      throw new Error(`the daemon exited with ${d.child.exitCode}:\n${d.output().slice(-3000)}`);
    return logLines(d).filter((l) => l.msg === msg)[n - 1];
  });
}

interface Result {
  id: string;
  values: Record<string, number>;
}

/** Waits for the window result with this id in the output file. */
function result(out: string, id: string): Promise<Result> {
  return waitFor(`window result ${id}`, async () => {
    const text = await readFile(out, 'utf8').catch(() => '');
    const found = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Result)
      .filter((r) => r.id === id);
    if (found.length > 1) throw new Error(`${id} emitted ${found.length} times`);
    return found[0];
  });
}

test('SIGHUP keeps compatible state, refuses an invalid config, restarts an incompatible pipeline; SIGTERM exits 0', async () => {
  const out = path.join(dir, 'out.jsonl');
  const file = path.join(dir, 'sluice.yaml');
  const config = (main: { length: string; aggregate: string }): string => `gateway: { id: reload }
batch: { interval: 100ms }
state: { dir: ${path.join(dir, 'state')} }
api: { port: 0 } # a free port: test files run in parallel
receivers:
  sensors: { type: mqtt, url: "${broker.url}", topics: ["s/+"], qos: 1, key: "topicParts[1]", time: ts }
pipelines:
  main:
    from: [sensors]
    window: { length: ${main.length} }
    aggregate: { ${main.aggregate} }
    to: [out]
  probe: # 1 s windows: their results show that readings went through a batch
    from: [sensors]
    window: { length: 1s }
    aggregate: { n: count() }
    to: [out]
sinks:
  out: { type: file, path: ${out} }
`;
  await writeFile(file, config({ length: '10s', aggregate: 'n: count(), v_sum: sum(v)' }));
  const d = startDaemon(['run', '-c', file], { SLUICE_LOG_LEVEL: 'info' });
  daemon = d;
  await d.waitForLog('running');
  // Subscribed before anything is published: a broker keeps nothing for a session that does not exist yet.
  await d.waitForLog('mqtt connected');
  const client = await mqtt.connectAsync(broker.url, { clientId: 'reload-publisher' });
  publisher = client;
  let v = 0;
  /** One reading for sensor k at event time T0 + ms, with the next v. */
  const read = (ms: number): Promise<unknown> =>
    client.publishAsync('s/k', JSON.stringify({ ts: T0 + ms, v: v++ }), { qos: 1 });

  // (a) Six readings of main's window [0, 10 s); the one at 1.5 s closes probe's [0, 1 s): once that result is
  // out, all six are in main's state, not merely in the write-ahead log.
  for (const ms of [0, 100, 200, 300, 400, 1500]) await read(ms);
  await result(out, `reload/probe/k/${T0}`);
  // An edit that keeps main's id and window: one more aggregate.
  await writeFile(file, config({ length: '10s', aggregate: 'n: count(), v_sum: sum(v), v_max: max(v)' }));
  d.child.kill('SIGHUP');
  await nthLog(d, 'reloaded', 1);
  const kept = await nthLog(d, 'state recovered', 2);
  expect(kept).toMatchObject({ replayedBatches: 0, incompatibleOperators: [], freshOperators: [] });
  for (const ms of [2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]) await read(ms); // v = 6..13
  await read(10_000); // v = 14: closes [0, 10 s), opens [10 s, 20 s)
  const spanning = await result(out, `reload/main/k/${T0}`);
  // Every reading of the window, before and after the reload; a lost state would have left n = 8.
  expect(spanning.values).toEqual({ n: 14, v_sum: 91, v_max: 13 });

  // (b) An invalid config: refused, with the key that is wrong; the running config goes on.
  await writeFile(file, config({ length: 'ten seconds', aggregate: 'n: count()' }));
  d.child.kill('SIGHUP');
  const refused = await nthLog(d, 'reload refused: the new config is invalid; keeping the running one', 1);
  expect(JSON.stringify(refused.err)).toContain('pipelines.main.window.length');
  for (const ms of [11_000, 12_000, 13_000]) await read(ms); // v = 15..17
  await read(20_000); // v = 18
  const after = await result(out, `reload/main/k/${T0 + 10_000}`);
  expect(after.values).toEqual({ n: 4, v_sum: 14 + 15 + 16 + 17, v_max: 17 });
  expect(logLines(d).filter((l) => l.msg === 'reloading')).toHaveLength(1);

  // (c) A new window length: main starts fresh (v = 18 is lost with its state) and the log says so.
  await writeFile(file, config({ length: '20s', aggregate: 'n: count(), v_sum: sum(v), v_max: max(v)' }));
  d.child.kill('SIGHUP');
  await nthLog(d, 'reloaded', 2);
  const fresh = await nthLog(d, 'state recovered', 3);
  expect(fresh).toMatchObject({ incompatibleOperators: ['pipeline/main'] });
  expect(logLines(d)).toContainEqual(
    expect.objectContaining({
      msg: 'pipeline changed incompatibly: its state starts fresh',
      operator: 'pipeline/main',
    }),
  );
  await read(21_000); // v = 19
  await read(40_000); // v = 20
  const restarted = await result(out, `reload/main/k/${T0 + 20_000}`);
  expect(restarted.values).toEqual({ n: 1, v_sum: 19, v_max: 19 });

  // (d) A valid config that cannot start (its state directory cannot be created): the running config goes on.
  const blocker = path.join(dir, 'not-a-dir');
  await writeFile(blocker, 'x');
  await writeFile(
    file,
    config({ length: '20s', aggregate: 'n: count(), v_sum: sum(v), v_max: max(v)' }).replace(
      path.join(dir, 'state'),
      path.join(blocker, 'state'),
    ),
  );
  d.child.kill('SIGHUP');
  const failed = await nthLog(d, 'reload failed: the new config cannot start; back to the running one', 1);
  expect(JSON.stringify(failed.err)).toContain(path.join(blocker, 'state'));
  await read(41_000); // v = 21
  await read(60_000); // v = 22
  const survived = await result(out, `reload/main/k/${T0 + 40_000}`);
  expect(survived.values).toEqual({ n: 2, v_sum: 20 + 21, v_max: 21 });

  d.child.kill('SIGTERM');
  expect(await d.exited).toEqual({ code: 0, signal: null });
  expect(logLines(d).at(-1)?.msg).toBe('stopped');
  // Errors: exactly the two refusals.
  expect(logLines(d).filter((l) => l.level >= 50)).toEqual([
    expect.objectContaining({ msg: 'reload refused: the new config is invalid; keeping the running one' }),
    expect.objectContaining({ msg: 'reload failed: the new config cannot start; back to the running one' }),
  ]);
  daemon = undefined;
}, 60_000);
