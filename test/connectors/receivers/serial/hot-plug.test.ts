// Unplugging and replugging a serial device, on real ptys: socat stops (the device vanishes) and starts again
// at the same path. The receiver reports the loss, the daemon's supervisor calls connect() again with backoff,
// and data flows again, without "Cannot lock port" and without losing what was read before the unplug.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { SerialPort } from 'serialport';
import { openError, SerialReceiver } from '../../../../connectors/receivers/serial/receiver.js';
import { Supervisor } from '../../../../daemon/supervisor.js';
import { startPtyPair, type PtyPair } from '../../../support/pty-pair.js';
import { waitFor } from '../../../support/wait.js';
import { closeDevice, DecodingHost, openDevice, send, serialConfig } from './serial-host.js';

let pty: PtyPair;
let device: SerialPort | undefined;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  pty = await startPtyPair();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await closeDevice(device);
  device = undefined;
  await pty.close();
});

/** A receiver under a real supervisor, wired as the gateway wires them. */
async function supervised(input: Record<string, unknown>) {
  const config = serialConfig({ path: pty.devPath, format: 'text', ...input });
  const host = new DecodingHost('dev', config);
  const receiver = new SerialReceiver('dev', config, host);
  const supervisor = new Supervisor('receiver:dev', () => receiver.connect(), host.log, {
    initialMs: 20,
    maxMs: 200,
  });
  const disconnected = host.disconnected.bind(host);
  host.disconnected = (err) => {
    disconnected(err);
    supervisor.disconnected(err);
  };
  cleanups.push(async () => {
    await supervisor.stop();
    await receiver.close();
  });
  await supervisor.start();
  return { host, receiver, supervisor };
}

const texts = (host: DecodingHost) => host.records.map((r) => r.fields.value);

describe('hot-plug', () => {
  test('reports an unplug, reopens the device when it is back, and loses nothing read', async () => {
    const { host, receiver, supervisor } = await supervised({});
    expect(supervisor.status.state).toBe('connected');
    for (let round = 0; round < 3; round++) {
      device = await openDevice(pty.simPath);
      await send(device, `before-${round}\n`);
      await host.waitFor(`before-${round}`, () => texts(host).includes(`before-${round}`));
      // A line cut off by the unplug: it must come out as a truncated frame, not vanish.
      await send(device, `cut-${round}`);
      // Polled: buffering a partial frame raises no event on the host.
      await waitFor('the cut line in the framer', () =>
        receiver.bufferedBytes === `cut-${round}`.length ? true : undefined,
      );
      const seen = host.disconnects.length;
      await closeDevice(device);
      device = undefined;
      await pty.stop();
      await host.waitFor('the unplug reported', () => host.disconnects.length > seen);
      await waitFor('degraded', () => (supervisor.status.state === 'degraded' ? true : undefined));
      await pty.start();
      await waitFor('reconnected', () => (supervisor.status.state === 'connected' ? true : undefined));
      device = await openDevice(pty.simPath);
      await send(device, `after-${round}\n`);
      await host.waitFor(`after-${round}`, () => texts(host).includes(`after-${round}`));
      await closeDevice(device);
      device = undefined;
    }
    expect(texts(host)).toEqual(['before-0', 'after-0', 'before-1', 'after-1', 'before-2', 'after-2']);
    expect(receiver.opens).toBe(4);
    expect(host.dead.map((d) => [d.payload.toString(), /truncated/.test(d.reason)])).toEqual([
      ['cut-0', true],
      ['cut-1', true],
      ['cut-2', true],
    ]);
    const errors = [...host.disconnects.map((e) => e?.message ?? ''), supervisor.status.lastError?.message];
    expect(errors.join('\n')).not.toMatch(/cannot lock port/i);
    expect(host.disconnects[0]?.message).toMatch(/closed|error|EIO|is gone/i);
  });

  test('reopens a port that fell silent, on the same path, without "Cannot lock port"', async () => {
    const { host, receiver, supervisor } = await supervised({ silence: '200ms' });
    await host.waitFor('a silence reported', () => host.disconnects.length >= 2);
    await waitFor('reconnected', () =>
      supervisor.status.state === 'connected' && receiver.opens >= 3 ? true : undefined,
    );
    expect(host.disconnects[0]?.message).toMatch(/silence/);
    expect(supervisor.status.lastError?.message).toMatch(/silence/);
    expect(supervisor.status.failures).toBe(0);
    device = await openDevice(pty.simPath);
    await send(device, 'still here\n');
    await host.waitFor('a line after the reopen', () => texts(host).includes('still here'));
  });

  test('opens the port exclusively: a second receiver is told who to look for', async () => {
    const first = await supervised({});
    expect(first.supervisor.status.state).toBe('connected');
    const config = serialConfig({ path: pty.devPath });
    const second = new SerialReceiver('other', config, new DecodingHost('other', config));
    await expect(second.connect()).rejects.toThrow(/in use by another process.*fuser/);
    await second.close();
  });
});

describe('open errors say what to do', () => {
  test('a missing device points at /dev/serial/by-id', async () => {
    const config = serialConfig({ path: `${pty.dir}/nothing-here` });
    const receiver = new SerialReceiver('gone', config, new DecodingHost('gone', config));
    await expect(receiver.connect()).rejects.toThrow(/not found.*ls -l \/dev\/serial\/by-id\//);
    await receiver.close();
  });

  test('a permission problem names the dialout group', () => {
    const err = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const result = openError('/dev/ttyUSB0', err);
    expect(result.kind).toBe('permission');
    expect(result.message).toMatch(/usermod -aG dialout sluice/);
  });
});
