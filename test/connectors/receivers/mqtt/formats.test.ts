// MQTT payload formats beyond JSON, through a real Mosquitto and the intake's own record builder: kv (key=value
// pairs) and nmea (one sentence, checksum verified) as the serial receiver reads them, csv with the one CSV
// parser. Bad payloads become dead letters with the reason.
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  mqttReceiverConfigSchema,
  type MqttReceiverConfig,
} from '../../../../connectors/receivers/mqtt/config.js';
import { createReceiver } from '../../../../connectors/receivers/mqtt/index.js';
import { recordBuilder, type BuildResult } from '../../../../daemon/intake/record.js';
import { compileKey } from '../../../../operators/expressions/index.js';
import { startMosquitto, type Mosquitto } from '../../../support/mosquitto.js';
import { TestHost } from './test-host.js';

let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker.close();
});

/** Receives everything published on `topic` in `format` and builds each message as the gateway would. */
async function receive(
  id: string,
  input: Record<string, unknown>,
  payloads: readonly string[],
): Promise<BuildResult[]> {
  const config: MqttReceiverConfig = mqttReceiverConfigSchema.parse({
    type: 'mqtt',
    url: broker.url,
    topics: [`formats/${id}/#`],
    ...input,
  });
  const key = config.key === undefined ? undefined : compileKey(config.key);
  if (key?.ok === false) throw new Error(key.error.message);
  const build = recordBuilder({
    receiver: id,
    format: config.format,
    ...(config.columns === undefined ? {} : { columns: config.columns }),
    ...(key === undefined ? {} : { key: key.value }),
    ...(config.time === undefined ? {} : { time: config.time }),
    timeFormat: config.timeFormat,
  });
  const host = new TestHost();
  const receiver = createReceiver(id, config, host, 'gw');
  await receiver.connect();
  try {
    await broker.publishLines(`formats/${id}/dev-1`, payloads, { qos: 1 });
    await host.waitForMessages(payloads.length);
  } finally {
    await receiver.close();
  }
  return host.messages.map(build);
}

const fields = (result: BuildResult | undefined) =>
  result?.ok === true ? result.record?.fields : result?.reason;

test('format: kv turns key=value payloads into fields', async () => {
  const results = await receive('kv', { format: 'kv', key: 'room' }, [
    'room=kitchen temp=21.5 hum=40',
    'room="living room",temp=-3',
    'just words',
  ]);
  expect(results.map(fields)).toEqual([
    { room: 'kitchen', temp: 21.5, hum: 40 },
    { room: 'living room', temp: -3 },
    expect.stringMatching(/key=value/),
  ]);
  expect(results[0]?.ok === true ? results[0].record?.key : undefined).toBe('kitchen');
});

test('format: nmea decodes a sentence and dead-letters a bad checksum', async () => {
  const gga = '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47';
  const results = await receive('nmea', { format: 'nmea' }, [gga, gga.replace('*47', '*48')]);
  expect(fields(results[0])).toMatchObject({
    sentence: 'GGA',
    satellites: 8,
    altitude: 545.4,
    lat: expect.closeTo(48.1173, 4) as unknown,
    lon: expect.closeTo(11.516_667, 4) as unknown,
  });
  expect(fields(results[1])).toMatch(/checksum/);
});

test('format: csv splits quoted cells with the same parser as serial CSV', async () => {
  const results = await receive('csv', { format: 'csv', columns: ['sensor', 'temp'] }, [
    'boiler, 71.5',
    '"tank, north",12',
    'boiler',
  ]);
  expect(results.map(fields)).toEqual([
    { sensor: 'boiler', temp: 71.5 },
    { sensor: 'tank, north', temp: 12 },
    'CSV line has 1 cells, expected 2: "boiler"',
  ]);
});
