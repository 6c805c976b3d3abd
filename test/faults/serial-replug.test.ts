// A serial device unplugged and replugged in a loop under a running gateway, on real ptys (socat stops: the
// device vanishes; socat starts: it is back at the same path): 10 rounds (100 with SLUICE_LONG=1). Each round the
// receiver must go degraded on the unplug and back to connected on its own after the replug, never with "Cannot
// lock port" (in its status or the log), and every line written while the port was open must be read: all of
// them are counted once in the window results at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { SerialPort } from 'serialport';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../daemon/app.js';
import { checkConfigText } from '../../daemon/config/load.js';
import { closeDevice, openDevice, send } from '../connectors/receivers/serial/serial-host.js';
import { countingConfig } from '../support/gateway-configs.js';
import { receiverStatus } from '../support/gateway-status.js';
import { startPtyPair, type PtyPair } from '../support/pty-pair.js';
import { countedReadings, readWindowResults, summed } from '../support/window-results.js';
import { waitFor } from '../support/wait.js';
import { LONG } from './results.js';

const ROUNDS = LONG ? 100 : 10;
const LINES_PER_ROUND = 20;

let dir: string;
let pty: PtyPair;
let device: SerialPort | undefined;
let gateway: Gateway | undefined;
let logs = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-replug-'));
  pty = await startPtyPair();
});

afterAll(async () => {
  await closeDevice(device);
  await gateway?.stop();
  await pty.close();
  await rm(dir, { recursive: true, force: true });
});

test(
  `${ROUNDS} unplugs and replugs: degraded then connected each round, every line read`,
  async () => {
    const out = path.join(dir, 'out.jsonl');
    const check = checkConfigText(
      countingConfig({
        id: 'replug',
        stateDir: path.join(dir, 'state'),
        receivers: {
          line: {
            type: 'serial',
            path: pty.devPath,
            baudRate: 115200,
            format: 'json',
            key: 'sensor',
            time: 'ts',
          },
        },
        out,
        window: { length: '500ms', time: 'processing' },
      }),
    );
    if (!check.ok) throw new Error(JSON.stringify(check.issues));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    });
    gateway = createGateway(check.config, {
      log: pino({ level: 'info' }, sink),
      backoff: { initialMs: 50, maxMs: 400 },
    });
    const g = gateway;
    await g.start();
    const receiver = receiverStatus(g, 'line');
    const errors: string[] = [];
    // How long the receiver took to see each unplug (degraded) and to reopen after each replug (connected), ms.
    const unplugSeen: number[] = [];
    const replugOpen: number[] = [];
    let replugAt: number | undefined;
    let written = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await waitFor(`round ${round}: connected`, () => (receiver().state === 'connected' ? true : undefined));
      if (replugAt !== undefined) replugOpen.push(performance.now() - replugAt);
      device = await openDevice(pty.simPath);
      for (let i = 0; i < LINES_PER_ROUND; i++) {
        await send(device, `${JSON.stringify({ sensor: 'dev', ts: Date.now(), v: written })}\n`);
        written++;
      }
      await waitFor(`round ${round}: every line read`, () =>
        receiver().records >= written ? true : undefined,
      );
      await closeDevice(device);
      device = undefined;
      await pty.stop();
      const unpluggedAt = performance.now();
      await waitFor(`round ${round}: degraded`, () => (receiver().state === 'degraded' ? true : undefined));
      unplugSeen.push(performance.now() - unpluggedAt);
      errors.push(receiver().lastError?.message ?? '');
      await pty.start();
      replugAt = performance.now();
    }
    await waitFor('connected after the last replug', () =>
      receiver().state === 'connected' ? true : undefined,
    );
    if (replugAt !== undefined) replugOpen.push(performance.now() - replugAt);
    expect(receiver().records).toBe(written);
    // The log saw every open (the first and one per replug), and no lock error among them.
    expect(logs.split('"msg":"serial port open"').length - 1).toBe(ROUNDS + 1);

    const total = ROUNDS * LINES_PER_ROUND;
    const byId = await waitFor('every line in the window results', async () => {
      const results = await readWindowResults(out);
      return countedReadings(results) >= total ? results : undefined;
    });
    expect(countedReadings(byId)).toBe(total);
    expect(summed(byId, 'v_sum')).toBe((total * (total - 1)) / 2);
    expect(errors.filter((e) => e === '')).toEqual([]); // each unplug reported with its reason
    expect(`${errors.join('\n')}\n${logs}`).not.toMatch(/cannot lock port/i);
    expect(await g.deadLetters()).toEqual([]);
    const ms = (list: number[]): { median: number; max: number } => {
      const sorted = [...list].sort((a, b) => a - b);
      return {
        median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
        max: Math.round(sorted.at(-1) ?? 0),
      };
    };
    const reasons = new Map<string, number>();
    for (const e of errors) {
      const reason = e.replaceAll(pty.devPath, '<device>');
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    console.log(
      `serial replug: ${JSON.stringify({
        rounds: ROUNDS,
        lines: { written, read: receiver().records, counted: countedReadings(byId) },
        opens: ROUNDS + 1,
        unplugSeenMs: ms(unplugSeen),
        replugOpenMs: ms(replugOpen),
        unplugReasons: Object.fromEntries(reasons),
      })}`,
    );
  },
  LONG ? 600_000 : 60_000,
);
