// The README's quick start: `sluice run` without a config runs the embedded demo (simulated sensors, no outside
// services), writes window results, and stops cleanly on SIGTERM.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { startDaemon, type DaemonProcess } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

let daemon: DaemonProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

test('sluice run with no config runs the demo and writes window results', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-demo-'));
  daemon = startDaemon(['run'], {}, dir);
  await daemon.waitForLog('window results committed', 40_000);
  const results = path.join(dir, 'sluice-demo', 'results.jsonl');
  const lines = await waitFor('results in the file', async () => {
    const text = await readFile(results, 'utf8').catch(() => '');
    const got = text.split('\n').filter((l) => l !== '');
    return got.length > 0 ? got : undefined;
  });
  const first = JSON.parse(lines[0] ?? '{}') as { id: string; values: Record<string, unknown> };
  expect(first.id).toMatch(/^demo\/climate-10s\/s-\d+\/\d+$/);
  expect(Object.keys(first.values).sort()).toEqual(['hum_avg', 'n', 'temp_avg', 'temp_max', 'temp_p95']);
  daemon.child.kill('SIGTERM');
  expect(await daemon.exited).toEqual({ code: 0, signal: null });
  daemon = undefined;
}, 60_000);
