// Disk full (issue #7): the state directory on a small tmpfs (mounted by the test; it needs root, as CI has), the
// daemon a real process under MQTT QoS 1 input. When a filler file takes the last free byte, the daemon stops
// acknowledging (the broker keeps the readings), says so in /api/v1/status and /metrics, and when the filler goes
// it resumes on its own: every reading the broker acknowledged is counted exactly once, and a restart afterwards
// reads the whole store back (a write torn by the full disk must not make LevelDB drop what came after it).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { apiUrl, startDaemon, type DaemonProcess } from '../support/daemon.js';
import { mqttSensors, writeCountingConfig } from '../support/gateway-configs.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';
import { readById, total, type WindowResult } from './results.js';

const run = promisify(execFile);
const T0 = 1_700_000_000_000;
const FS_SIZE = '16m';

let broker: Mosquitto;
let dir: string;
let mountPoint: string;
let mounted = false;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-disk-full-'));
  mountPoint = path.join(dir, 'small');
  await mkdir(mountPoint);
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${FS_SIZE}`, 'tmpfs', mountPoint]);
    mounted = true;
  } catch (err) {
    throw new Error(
      `cannot mount a ${FS_SIZE} tmpfs for the state dir (the disk-full test needs root or CAP_SYS_ADMIN, as CI has): ${(err as Error).message}`,
      { cause: err },
    );
  }
});

afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  await daemon?.exited;
  if (mounted) await run('umount', [mountPoint]);
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes zeros to a file until the filesystem refuses (ENOSPC); returns the bytes written. */
async function fill(file: string): Promise<number> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) {
      try {
        const { bytesWritten } = await handle.write(chunk);
        written += bytesWritten;
        if (bytesWritten < chunk.length) break;
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOSPC') break;
        throw err;
      }
    }
  } finally {
    await handle.close();
  }
  return written;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function metric(api: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

interface Status {
  commitError: string | null;
  intake: { lastError: string | null; backpressured: boolean };
  receivers: Record<string, { state: string; records: number }>;
  disk: { availableBytes: number | null; full: boolean };
}

test('stops acknowledging on a full disk, says so, and resumes without losing anything when space returns', async () => {
  const out = path.join(dir, 'out.jsonl');
  const config = path.join(dir, 'sluice.yaml');
  await writeCountingConfig(config, {
    id: 'full',
    stateDir: path.join(mountPoint, 'state'),
    receivers: { sensors: mqttSensors({ url: broker.url, qos: 1 }) },
    out,
    api: true,
  });
  daemon = startDaemon(['run', '-c', config], { SLUICE_LOG_LEVEL: 'info' });
  await daemon.waitForLog('running');
  await daemon.waitForLog('mqtt connected');
  const api = apiUrl(daemon);
  const status = (): Promise<Status> => getJson<Status>(`${api}/api/v1/status`);

  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'disk-full-publisher' });
  let acked = 0;
  const publish = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const v = acked;
      await publisher.publishAsync(`s/k${v % 10}`, JSON.stringify({ ts: T0 + v * 10, v }), { qos: 1 });
      acked++;
    }
  };

  await publish(500);
  await waitFor('500 readings in the WAL', async () =>
    (await status()).receivers.sensors?.records === 500 ? true : undefined,
  );

  // The disk fills up: readings keep coming, none is acknowledged by the daemon.
  const filler = path.join(mountPoint, 'filler');
  const filled = await fill(filler);
  await publish(500);
  const full = await waitFor(
    'the status to report the full disk',
    async () => {
      const s = await status();
      return s.disk.full ? s : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(full.intake.lastError ?? full.commitError).toBe('the state directory is out of disk space');
  expect(await metric(api, 'sluice_state_disk_full')).toBe(1);
  // Held there: the receiver keeps reconnecting (the broker redelivers), nothing more reaches the WAL.
  const recordsWhileFull = full.receivers.sensors?.records ?? -1;
  expect(recordsWhileFull).toBeLessThan(1000);
  const refusals = (): number =>
    (
      daemon
        ?.output()
        .match(/"msg":"mqtt intake refused a message: dropping the connection, unacknowledged"/g) ?? []
    ).length;
  await waitFor('three refused redeliveries', () => (refusals() >= 3 ? true : undefined), {
    timeoutMs: 30_000,
  });
  const stillFull = await status();
  expect(stillFull.disk.full).toBe(true);
  console.log(
    `disk full: filler ${filled} bytes; ${recordsWhileFull} of ${acked} readings in the WAL, ${refusals()} refused redeliveries`,
  );

  // Space returns: the daemon resumes by itself, and every acknowledged reading is counted once.
  await rm(filler);
  await publish(500);
  await publisher.publishAsync('s/flush', JSON.stringify({ ts: T0 + 10_000_000, v: 0 }), { qos: 1 });
  await publisher.endAsync();
  const results = await waitFor(
    'every reading counted after space returned',
    async () => {
      const got = await readById<WindowResult>(out);
      return total(got.unique.values(), 'counts', 'n') >= acked ? got : undefined;
    },
    { timeoutMs: 60_000 },
  ).catch((err: unknown) => {
    console.log(daemon?.output().split('\n').slice(-40).join('\n'));
    throw err;
  });
  const counted = [...results.unique.values()];
  expect(total(counted, 'counts', 'n')).toBe(acked);
  expect(total(counted, 'counts', 'v_sum')).toBe((acked * (acked - 1)) / 2);
  const after = await status();
  expect(after.intake.lastError).toBeNull();
  expect(after.commitError).toBeNull();
  expect(after.disk.full).toBe(false);
  expect(await metric(api, 'sluice_state_disk_full')).toBe(0);

  // The store after the episode: a restart reads back the log written across the full disk.
  daemon.child.kill('SIGKILL');
  await daemon.exited;
  daemon = startDaemon(['run', '-c', config], { SLUICE_LOG_LEVEL: 'info' });
  await daemon.waitForLog('running');
  // LevelDB read its whole log back: nothing written across the full disk is dropped as corrupt.
  expect(daemon.output()).not.toContain('state store damaged');
  await daemon.waitForLog('mqtt connected'); // SIGTERM is handled from just after "running" on
  daemon.child.kill('SIGTERM');
  expect(await daemon.exited).toEqual({ code: 0, signal: null });
  daemon = undefined;
}, 180_000);
