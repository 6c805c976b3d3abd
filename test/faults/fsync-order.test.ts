// `state.durability: fsync` (issue #7): the daemon runs under strace, which records every openat, close, write,
// writev, fsync and fdatasync of every thread in the order they happened, while 200 QoS 1 readings arrive. Acks go
// out in arrival order and the WAL is written in arrival order, so whenever a socket write carries PUBACKs that
// bring the total to n, the first n readings must already be in LevelDB log writes followed by a finished
// fsync/fdatasync of that log. With durability: process the same check fails on every PUBACK write, so it can
// tell the two apart. strace is a Debian package (`apt-get install strace`); CI must install it.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';

const STRACE = '/usr/bin/strace';
const MARKER = '"probe":';
const READINGS = 200;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let broker: Mosquitto;
let dir: string;

beforeAll(async () => {
  try {
    accessSync(STRACE, fsConstants.X_OK);
  } catch {
    throw new Error('strace is not installed; the fsync test needs it: apt-get install strace');
  }
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-fsync-'));
});

afterAll(async () => {
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

interface Syscall {
  /** Position of its entry (or whole line) and of its completion in the trace. */
  start: number;
  end: number;
  name: string;
  fd: number;
  /** openat: the path; write/writev: the first bytes, hex. */
  arg: string;
  ret: number;
}

/** Parses `strace -f -xx` output (lines `PID name(args) = ret`, split into unfinished/resumed across threads). */
function parse(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const open = new Map<string, { start: number; head: string }>();
  const lines = text.split('\n');
  const finish = (start: number, end: number, whole: string): void => {
    const m = /^(\w+)\((.*)\)\s+=\s+(-?\d+)/.exec(whole);
    if (m === null) return;
    const [, name = '', args = '', ret = '0'] = m;
    let fd = -1;
    let arg = '';
    const hex = (quoted: string): string => quoted.replace(/\\x/g, '');
    if (name === 'openat') {
      // -xx prints paths as \xNN too.
      arg = Buffer.from(hex(/"([^"]*)"/.exec(args)?.[1] ?? ''), 'hex').toString('utf8');
      fd = Number(ret);
    } else {
      fd = Number(/^(\d+)/.exec(args)?.[1] ?? -1);
      // write: the buffer; writev: its pieces (mqtt.js writes a PUBACK as 0x40 | 0x02 | packet id) joined.
      const pieces =
        name === 'writev' ? [...args.matchAll(/iov_base="([^"]*)"/g)] : [/"([^"]*)"/.exec(args) ?? []];
      arg = pieces.map((p) => hex(p[1] ?? '')).join('');
    }
    calls.push({ start, end, name, fd, arg, ret: Number(ret) });
  };
  lines.forEach((line, i) => {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (m === null) return;
    const [, pid = '', rest = ''] = m;
    const unfinished = /^(.*) <unfinished \.\.\.>$/.exec(rest);
    if (unfinished !== null) {
      open.set(pid, { start: i, head: unfinished[1] ?? '' });
      return;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(rest);
    if (resumed !== null) {
      const began = open.get(pid);
      open.delete(pid);
      if (began !== undefined) finish(began.start, i, `${began.head}${resumed[1] ?? ''}`);
      return;
    }
    finish(i, i, rest);
  });
  return calls.sort((a, b) => a.start - b.start);
}

/** Runs the daemon under strace with this durability while READINGS QoS 1 readings are published; the trace. */
async function traced(durability: 'fsync' | 'process'): Promise<{ calls: Syscall[]; output: string }> {
  const config = path.join(dir, `${durability}.yaml`);
  const trace = path.join(dir, `${durability}.strace`);
  await writeFile(
    config,
    `gateway: { id: fsync-${durability} }
batch: { interval: 100ms }
state: { dir: ${path.join(dir, durability)}, durability: ${durability} }
receivers:
  sensors:
    type: mqtt
    url: ${broker.url}
    topics: ["${durability}/+"]
    qos: 1
    key: topicParts[1]
pipelines:
  counts: { from: [sensors], window: { length: 1s }, aggregate: { n: count() }, to: [file] }
sinks:
  file: { type: file, path: ${path.join(dir, `${durability}.jsonl`)} }
api: { port: 0 }
`,
  );
  const child = spawn(
    STRACE,
    [
      '-f',
      '-qq',
      '-xx',
      '-s',
      '65536',
      '-e',
      'trace=openat,close,write,writev,fsync,fdatasync',
      '-o',
      trace,
      process.execPath,
      '--import',
      tsx,
      path.join(root, 'daemon', 'main.ts'),
      'run',
      '-c',
      config,
    ],
    { cwd: root, env: { ...process.env, SLUICE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await waitFor(
      'mqtt connected',
      () => {
        if (child.exitCode !== null) throw new Error('the daemon exited');
        return output.includes('"msg":"mqtt connected"') ? true : undefined;
      },
      {
        timeoutMs: 60_000,
      },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${output.slice(-3000)}`);
    });
    const lines = Array.from({ length: READINGS }, (_, i) => JSON.stringify({ probe: i }));
    await broker.publishLines(`${durability}/k`, lines, { qos: 1 });
    const api = /"url":"(http:[^"]+)","msg":"api listening"/.exec(output)?.[1] ?? '';
    await waitFor(
      'every reading in the WAL',
      async () => {
        const status = (await (await fetch(`${api}/api/v1/status`)).json()) as {
          receivers: Record<string, { records: number }>;
        };
        return (status.receivers.sensors?.records ?? 0) >= READINGS ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
  } finally {
    // To the daemon itself (its pid is in every log line): strace does not pass SIGTERM on. strace exits with it.
    const pid = Number(/"pid":(\d+)/.exec(output)?.[1] ?? 0);
    if (pid > 0) process.kill(pid, 'SIGTERM');
    else child.kill('SIGKILL');
    await exited;
  }
  return { calls: parse(await readFile(trace, 'utf8')), output };
}

/**
 * Acknowledgements against durability, in trace order. Acks go out in arrival order and the WAL is written in
 * arrival order, so when a socket write carries PUBACKs that bring the total to n, the first n readings must be in
 * LevelDB log writes that a finished fsync/fdatasync of that log has followed. Each reading's record carries its
 * `"probe":` field, so a log write's readings are counted from its bytes.
 */
function check(calls: readonly Syscall[]): { pubackWrites: number; acked: number; violations: number } {
  const files = new Map<number, string>(); // fd → path, as opened so far
  const tails = new Map<number, string>();
  const count = (text: string): number => text.split(MARKER).length - 1;
  const logWrites: { fd: number; end: number; readings: number; durable: boolean }[] = [];
  let durable = 0;
  let acked = 0;
  let pubackWrites = 0;
  let violations = 0;
  for (const c of calls) {
    if (c.name === 'openat' && c.fd >= 0) files.set(c.fd, c.arg);
    else if (c.name === 'close') files.delete(c.fd);
    else if ((c.name === 'fsync' || c.name === 'fdatasync') && c.ret === 0) {
      // Completions are what count: a sync that finished after the log writes that ended before it started.
      for (const w of logWrites) {
        if (!w.durable && w.fd === c.fd && w.end < c.start) {
          w.durable = true;
          durable += w.readings;
        }
      }
    } else if (c.name === 'write' || c.name === 'writev') {
      const bytes = Buffer.from(c.arg, 'hex');
      if (files.get(c.fd)?.endsWith('.log') === true) {
        // A record can straddle two writes: count markers over this write and the end of the one before.
        const tail = tails.get(c.fd) ?? '';
        const text = bytes.toString('latin1');
        const readings = count(tail + text) - count(tail);
        tails.set(c.fd, (tail + text).slice(-MARKER.length));
        if (readings > 0) logWrites.push({ fd: c.fd, end: c.end, readings, durable: false });
      } else if (!files.has(c.fd) && isPubacks(bytes)) {
        pubackWrites++;
        acked += bytes.length / 4;
        if (durable < acked) violations++;
      }
    }
  }
  return { pubackWrites, acked, violations };
}

/** One or more MQTT PUBACKs: 0x40, remaining length 2, a packet id. */
function isPubacks(bytes: Buffer): boolean {
  if (bytes.length === 0 || bytes.length % 4 !== 0) return false;
  for (let i = 0; i < bytes.length; i += 4) if (bytes[i] !== 0x40 || bytes[i + 1] !== 0x02) return false;
  return true;
}

describe('durability: fsync under strace', () => {
  test('no PUBACK goes out before the log writes of the readings it acknowledges are synced', async () => {
    const { calls, output } = await traced('fsync');
    const result = check(calls);
    console.log(`durability fsync: ${JSON.stringify(result)}`);
    expect(result.acked, output.slice(-2000)).toBe(READINGS);
    expect(result.violations).toBe(0);
  }, 180_000);

  test('durability: process acknowledges without a sync (the check tells them apart)', async () => {
    const { calls } = await traced('process');
    const result = check(calls);
    console.log(`durability process: ${JSON.stringify(result)}`);
    expect(result.acked).toBe(READINGS);
    expect(result.violations).toBe(result.pubackWrites);
  }, 180_000);
});
