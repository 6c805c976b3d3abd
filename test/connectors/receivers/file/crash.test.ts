// The file receiver in the real daemon, SIGKILLed while files are being written and restarted on the same state:
// every line is counted in exactly one window result (after de-duplicating by id), none twice, none lost, because
// each file's offset is saved in the same write as its lines. Writes split lines across appends on purpose.
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDaemon, type DaemonProcess } from '../../../support/daemon.js';
import { writeCountingConfig } from '../../../support/gateway-configs.js';
import { countedReadings, readWindowResults, summed } from '../../../support/window-results.js';
import { waitFor } from '../../../support/wait.js';

const T0 = 1_700_000_000_000;
const LINES = 2400;
const FILES = 4;
const KILLS = 3;

let dir: string;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-file-crash-'));
});

afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** Records the running daemon's file receiver has taken since it started (its API's status). */
async function records(d: DaemonProcess | undefined): Promise<number> {
  const url = /"url":"(http:[^"]+)"/.exec(d?.output() ?? '')?.[1];
  if (url === undefined) throw new Error('the API did not say where it listens');
  const status = (await (await fetch(`${url}/api/v1/status`)).json()) as {
    receivers: Record<string, { records: number }>;
  };
  return status.receivers.inbox?.records ?? 0;
}

test('counts every line of files written across SIGKILLs exactly once', async () => {
  const inbox = path.join(dir, 'inbox');
  await mkdir(inbox);
  const out = path.join(dir, 'out.jsonl');
  const config = path.join(dir, 'sluice.yaml');
  await writeCountingConfig(config, {
    id: 'files',
    stateDir: path.join(dir, 'state'),
    receivers: {
      inbox: {
        type: 'file',
        path: inbox,
        pattern: '*.jsonl',
        time: 'ts',
        key: 'sensor',
        pollInterval: '100ms',
      },
    },
    out,
    api: true,
  });
  const start = async (): Promise<DaemonProcess> => {
    const d = startDaemon(['run', '-c', config], { SLUICE_LOG_LEVEL: 'info' });
    await d.waitForLog('api listening');
    await d.waitForLog('watching directory');
    return d;
  };
  // Two files exist before the first start.
  const text = (i: number): string => `${JSON.stringify({ ts: T0 + i * 10, sensor: `s${i % 7}`, v: i })}\n`;
  let written = 0;
  let pending = '';
  const write = async (upTo: number): Promise<void> => {
    // Lines go round-robin to the files, with each append ending in the middle of a line now and then.
    for (; written < upTo; written++) {
      pending += text(written);
      const cut = written % 5 === 4 ? pending.length - 3 : pending.length;
      await appendFile(path.join(inbox, `f${written % FILES}.jsonl`), pending.slice(0, cut));
      pending = pending.slice(cut);
      if (pending !== '') {
        await appendFile(path.join(inbox, `f${written % FILES}.jsonl`), pending);
        pending = '';
      }
    }
  };
  await write(200);
  daemon = await start();
  for (let k = 0; k < KILLS; k++) {
    // Killed once it has read some of what is written now (its status counts records since it started).
    const before = await records(daemon);
    await write(Math.floor(((k + 1) * LINES) / (KILLS + 1)));
    await waitFor('some lines read', async () => ((await records(daemon)) > before ? true : undefined));
    daemon.child.kill('SIGKILL');
    expect((await daemon.exited).signal).toBe('SIGKILL');
    await write(written + 100); // written while the daemon is down
    daemon = await start();
  }
  await write(LINES);
  // A line far ahead in another file moves the watermark past every window.
  await writeFile(
    path.join(inbox, 'zz-flush.jsonl'),
    `${JSON.stringify({ ts: T0 + 10_000_000, sensor: 'flush', v: 0 })}\n`,
  );
  const windows = await waitFor(
    'every line counted',
    async () => {
      const w = await readWindowResults(out);
      return countedReadings(w) >= LINES ? w : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(countedReadings(windows)).toBe(LINES);
  expect(summed(windows, 'v_sum')).toBe((LINES * (LINES - 1)) / 2);
  daemon.child.kill('SIGTERM');
  expect(await daemon.exited).toEqual({ code: 0, signal: null });
  daemon = undefined;
}, 180_000);
