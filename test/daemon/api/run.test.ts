// `sluice run` starts the API with the gateway: it answers on the configured port, POST /api/v1/reload reloads
// as SIGHUP does (an invalid config is refused with 422 and the running one kept), and SIGTERM stops both.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { startDaemon, type DaemonProcess } from '../../support/daemon.js';
import { freePort } from '../../support/free-port.js';
import { waitFor } from '../../support/wait.js';

let daemon: DaemonProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const config = (id: string, port: number, extra = '') => `gateway: { id: ${id} }
batch: { interval: 200ms }
state: { dir: ./state }
receivers:
  sensors: { type: simulator, sensors: 3, interval: 100ms }
sinks:
  out: { type: file, path: ./out.jsonl }
pipelines:
  p: { from: [sensors], window: { length: 1s, time: processing }, aggregate: { n: count() }, to: [out] }
api: { port: ${port} }
${extra}`;

test('serves the API while running, reloads through it, and stops with the gateway', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-api-run-'));
  const file = path.join(dir, 'sluice.yaml');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await writeFile(file, config('first', port));
  daemon = startDaemon(['run', '-c', file], {}, dir);
  await daemon.waitForLog('running', 30_000);
  expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ ready: true, phase: 'ready' });

  const reload = () =>
    fetch(`${url}/api/v1/reload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
  await writeFile(file, config('second', port));
  const ok = await reload();
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ reloaded: true, gateway: 'second' });
  const status = (await (await fetch(`${url}/api/v1/status`)).json()) as { gateway: string };
  expect(status.gateway).toBe('second');

  await writeFile(file, config('third', port, 'bogus: 1\n'));
  const refused = await reload();
  expect(refused.status).toBe(422);
  const body = (await refused.json()) as { error: string; issues: { path: string }[] };
  expect(body.error).toBe('SLUICE_CONFIG_INVALID');
  expect(body.issues.map((i) => i.path)).toContain('bogus');
  await waitFor('the gateway to be ready again', async () => {
    const s = (await (await fetch(`${url}/api/v1/status`)).json()) as { gateway: string; phase: string };
    return s.gateway === 'second' && s.phase === 'ready' ? true : undefined;
  });

  daemon.child.kill('SIGTERM');
  expect(await daemon.exited).toEqual({ code: 0, signal: null });
  daemon = undefined;
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
}, 60_000);
