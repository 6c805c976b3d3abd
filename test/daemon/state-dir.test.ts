// One daemon per state directory: a second gateway (in-process) or a second `sluice run` process on the same
// directory fails at once with SLUICE_STATE_LOCKED and a message naming the directory, and the first one keeps
// running. Simulated sensors feed both, so no broker is needed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGateway, type Gateway } from '../../daemon/app.js';
import { loadConfig } from '../../daemon/config/load.js';
import { SluiceError } from '../../daemon/errors.js';
import { startDaemon, type DaemonProcess } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

let dir: string;
const running: DaemonProcess[] = [];
const gateways: Gateway[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-state-dir-'));
});

afterAll(async () => {
  for (const d of running) d.child.kill('SIGKILL');
  for (const g of gateways) await g.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A config on its own state dir: 3 simulated sensors every 100 ms, 1 s windows into a file. */
async function writeConfig(name: string): Promise<{ file: string; stateDir: string; out: string }> {
  const stateDir = path.join(dir, name, 'state');
  const out = path.join(dir, name, 'out.jsonl');
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `gateway: { id: ${name} }
batch: { interval: 100ms }
state: { dir: ${stateDir} }
api: { port: 0 } # a free port: test files run in parallel
receivers:
  sensors: { type: simulator, sensors: 3, interval: 100ms }
pipelines:
  counts:
    from: [sensors]
    window: { length: 1s }
    aggregate: { n: count() }
    to: [out]
sinks:
  out: { type: file, path: ${out} }
`,
  );
  return { file, stateDir, out };
}

async function lineCount(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').length;
}

/** Resolves once the file holds more window results than it does now: whoever writes it is still working. */
async function keepsWriting(file: string): Promise<void> {
  const before = await lineCount(file);
  await waitFor(`new window results in ${file}`, async () =>
    (await lineCount(file)) > before ? true : undefined,
  );
}

describe('a state directory in use', () => {
  test('refuses a second in-process gateway with SLUICE_STATE_LOCKED naming the directory', async () => {
    const { file, stateDir, out } = await writeConfig('inproc');
    const config = await loadConfig(file);
    const log = pino({ level: 'silent' });
    const first = createGateway(config, { log });
    gateways.push(first);
    await first.start();
    await keepsWriting(out);

    const second = createGateway(config, { log });
    const err = await second.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SluiceError);
    expect(err).toMatchObject({ code: 'SLUICE_STATE_LOCKED' });
    expect((err as SluiceError).message).toContain(stateDir);
    expect((err as SluiceError).hint).toMatch(/stop the other daemon|its own state\.dir/i);
    await second.stop(); // nothing was started: nothing to stop, no error

    // The first one never noticed.
    expect(first.status().commitError).toBeNull();
    expect(first.status().receivers.sensors?.state).toBe('connected');
    await keepsWriting(out);
  });

  test('a second `sluice run` exits 1 at once with the error, the directory and a hint; the first keeps running', async () => {
    const { file, stateDir, out } = await writeConfig('cli');
    const first = startDaemon(['run', '-c', file]);
    running.push(first);
    await first.waitForLog('running');
    await keepsWriting(out);

    const second = startDaemon(['run', '-c', file]);
    running.push(second);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    const printed = second.output();
    expect(printed).toContain(
      `error[SLUICE_STATE_LOCKED]: another Sluice process is using the state directory ${stateDir}\n`,
    );
    expect(printed).toMatch(/^hint: Stop the other daemon first/m);
    expect(printed).not.toContain('"msg":"running"');

    expect(first.child.exitCode).toBeNull();
    await keepsWriting(out);
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
  });
});
