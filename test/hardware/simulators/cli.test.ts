// The simulator CLI over real ptys, as the demo and a person at a terminal use it: a line sensor, a GPS and two
// Modbus units, each read by the serial receiver on the other end of a socat pair.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { SerialReceiver } from '../../../connectors/receivers/serial/receiver.js';
import { startPtyPair, type PtyPair } from '../../support/pty-pair.js';
import { DecodingHost, serialConfig } from '../../connectors/receivers/serial/serial-host.js';

const CLI = fileURLToPath(new URL('../../../hardware/simulators/cli.ts', import.meta.url));

let pty: PtyPair;
let child: ChildProcess | undefined;
let receiver: SerialReceiver | undefined;

beforeEach(async () => {
  pty = await startPtyPair();
});

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
  await pty.close();
});

/** Starts the CLI on the pty's device side; resolves with its exit code once it ends. */
function simulate(args: string[]): Promise<number | null> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args, '--path', pty.simPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child = proc;
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => {
      if (code !== 0 && code !== null) reject(new Error(`simulator exited ${code}: ${stderr}`));
      else resolve(code);
    });
  });
}

async function listen(input: Record<string, unknown>): Promise<DecodingHost> {
  const config = serialConfig({ path: pty.devPath, ...input });
  const host = new DecodingHost('sim', config);
  receiver = new SerialReceiver('sim', config, host);
  await receiver.connect();
  return host;
}

test('line: CSV with a header, at a rate, until --count', async () => {
  const host = await listen({ format: 'csv', header: true, key: 'sensor' });
  const exit = await simulate([
    'line',
    '--format',
    'csv',
    '--header',
    '--sensors',
    '2',
    '--count',
    '6',
    '--rate',
    '200',
  ]);
  expect(exit).toBe(0);
  await host.waitForRecords(6);
  expect(host.dead).toEqual([]);
  expect(host.records.map((r) => r.key)).toEqual([
    'sensor-1',
    'sensor-2',
    'sensor-1',
    'sensor-2',
    'sensor-1',
    'sensor-2',
  ]);
  expect(Object.keys(host.records[0]?.fields ?? {})).toEqual(['ts', 'sensor', 'temp', 'hum']);
});

test('gps: GGA and RMC sentences that the nmea-gps profile decodes', async () => {
  const host = await listen({ profile: 'nmea-gps' });
  expect(await simulate(['gps', '--count', '2', '--rate', '20'])).toBe(0);
  await host.waitForRecords(4);
  expect(host.dead).toEqual([]);
  expect(host.records.map((r) => r.fields.sentence)).toEqual(['GGA', 'RMC', 'GGA', 'RMC']);
});

test('modbus: answers for each --unit as an sht3x-modbus transmitter', async () => {
  const exit = simulate(['modbus', '--unit', '1', '--unit', '2']);
  const host = await listen({
    profile: 'sht3x-modbus',
    modbus: {
      pollInterval: '100ms',
      timeout: '300ms',
      devices: [
        { name: 'a', unitId: 1 },
        { name: 'b', unitId: 2 },
      ],
    },
  });
  await host.waitFor('records from both units', () =>
    ['a', 'b'].every((k) => host.records.some((r) => r.key === k)),
  );
  for (const record of host.records) {
    expect(record.fields).toEqual({
      device: record.key,
      temperature: expect.any(Number) as unknown,
      humidity: expect.any(Number) as unknown,
    });
  }
  child?.kill('SIGTERM');
  expect(await exit).toBe(0);
});
