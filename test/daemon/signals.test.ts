// Signals while the daemon starts: the API listens before state is recovered, so systemd or a person can send
// SIGTERM or SIGHUP during recovery. Neither may kill the process by Node's default action: a SIGTERM is held and
// ends the daemon cleanly (exit 0) once it runs, a SIGHUP becomes a reload.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { startDaemon, type DaemonProcess } from '../support/daemon.js';
import { writeSimulatorConfig } from '../support/gateway-configs.js';

const dirs: string[] = [];
const daemons: DaemonProcess[] = [];
afterAll(async () => {
  for (const d of daemons) d.child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<DaemonProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-signals-'));
  dirs.push(dir);
  const file = await writeSimulatorConfig(dir, 'signalled');
  const d = startDaemon(['run', '-c', file], {}, dir);
  daemons.push(d);
  return d;
}

describe('signals while starting', () => {
  test('a SIGTERM sent as soon as the API listens stops the daemon cleanly once it runs', async () => {
    const d = await start();
    await d.waitForLog('api listening');
    d.child.kill('SIGTERM');
    expect(await d.exited, d.output().slice(-2000)).toEqual({ code: 0, signal: null });
    expect(d.output()).toContain('"msg":"stopped"');
  }, 60_000);

  test('a SIGHUP sent as soon as the API listens becomes a reload, and the daemon keeps running', async () => {
    const d = await start();
    await d.waitForLog('api listening');
    d.child.kill('SIGHUP');
    await d.waitForLog('reloaded');
    expect(d.child.exitCode).toBeNull();
    d.child.kill('SIGTERM');
    expect(await d.exited, d.output().slice(-2000)).toEqual({ code: 0, signal: null });
  }, 60_000);
});
