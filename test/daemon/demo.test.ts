// The README's quick start: `npm run demo` (and `sluice run` without a config, the same thing) runs the demo:
// the embedded MQTT broker with simulated sensors publishing to it, a simulated serial sensor on a socat pty
// pair, window results in a file and an alert that fires within a minute; SIGTERM stops it cleanly. With nothing
// else installed (no socat, no Mosquitto on PATH) it still produces results and the alert, and says what it
// left out.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { startDaemon } from '../support/daemon.js';
import { freePort } from '../support/free-port.js';
import { readJsonLines } from '../support/jsonl.js';
import { waitFor } from '../support/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dirs: string[] = [];
const children: { kill: (signal: NodeJS.Signals) => boolean }[] = [];

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Result {
  id: string;
  key: string;
  values: Record<string, number>;
}
interface Alert {
  alert: string;
  key: string;
  status: string;
}

/** Window results and alerts the demo in cwd wrote, once there are results of every key and gh-hot's alert. */
async function demoOutput(
  cwd: string,
  keys: readonly string[],
): Promise<{ results: Result[]; alerts: Alert[] }> {
  return waitFor(
    `results of ${keys.join(', ')} and the overheat alert`,
    async () => {
      const results = await readJsonLines<Result>(path.join(cwd, 'sluice-demo', 'results.jsonl'));
      const alerts = await readJsonLines<Alert>(path.join(cwd, 'sluice-demo', 'alerts.jsonl'));
      const seen = new Set(results.map((r) => r.key));
      const fired = alerts.some((a) => a.key === 'gh-hot' && a.status === 'firing');
      return keys.every((k) => seen.has(k)) && fired ? { results, alerts } : undefined;
    },
    { timeoutMs: 80_000, everyMs: 250 },
  );
}

async function demoEnv(): Promise<NodeJS.ProcessEnv> {
  return { SLUICE_DEMO_MQTT_PORT: String(await freePort()), SLUICE_DEMO_API_PORT: '0' };
}

describe.concurrent('the demo', () => {
  test('sluice run with no config runs the demo: MQTT and serial sensors, window results, an alert', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'sluice-demo-'));
    dirs.push(cwd);
    const daemon = startDaemon(['run'], await demoEnv(), cwd);
    children.push(daemon.child);
    await daemon.waitForLog('demo mqtt sensors publishing', 40_000);
    const { results, alerts } = await demoOutput(cwd, ['gh-1', 'gh-hot', 'serial-1', 'serial-2']);
    const first = results.find((r) => r.key === 'gh-1');
    expect(first?.id).toMatch(/^demo\/climate-10s\/gh-1\/\d+$/);
    expect(Object.keys(first?.values ?? {}).sort()).toEqual([
      'hum_avg',
      'n',
      'temp_avg',
      'temp_max',
      'temp_p95',
    ]);
    expect(alerts.find((a) => a.key === 'gh-hot')).toMatchObject({ alert: 'overheat', status: 'firing' });
    // A reload reads demo.yaml again and keeps the demo's ports: the sensors' readings keep arriving.
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog('reloaded');
    const before = results.filter((r) => r.key === 'gh-1').length;
    await waitFor('gh-1 results after the reload', async () => {
      const now = await readJsonLines<Result>(path.join(cwd, 'sluice-demo', 'results.jsonl'));
      return now.filter((r) => r.key === 'gh-1').length > before + 1 ? true : undefined;
    });
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  }, 120_000);

  test('npm run demo with nothing else installed (no socat) leaves the serial sensor out and still works', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'sluice-demo-bare-'));
    dirs.push(cwd);
    const emptyPath = await mkdtemp(path.join(tmpdir(), 'sluice-empty-path-'));
    dirs.push(emptyPath);
    // What `npm run demo` runs, with a PATH holding nothing (no socat, no mosquitto).
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = spawn(process.execPath, ['--import', tsx, path.join(root, 'scripts', 'demo.ts')], {
      cwd,
      env: { ...process.env, ...(await demoEnv()), PATH: emptyPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const { results } = await demoOutput(cwd, ['gh-1', 'gh-hot']);
    expect(results.some((r) => r.key.startsWith('serial-'))).toBe(false);
    expect(output).toContain('socat not found: the demo runs without its simulated serial sensor');
    expect(output).toMatch(/sluice demo: running the (build in dist\/|sources \(tsx\))/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
