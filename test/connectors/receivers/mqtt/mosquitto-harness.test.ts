// The Mosquitto test harness itself: parallel brokers do not collide, a restart keeps the port, close() cleans
// up, and a missing executable fails with the command that installs it.
import { access } from 'node:fs/promises';
import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { requireExecutable, startMosquitto } from '../../../support/mosquitto.js';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

it('starts brokers side by side on their own ports and directories, and removes them on close', async () => {
  const [a, b] = await Promise.all([startMosquitto(), startMosquitto()]);
  expect(a.port).not.toBe(b.port);
  expect(a.dir).not.toBe(b.dir);
  expect(await accepts(a.port)).toBe(true);
  expect(await accepts(b.port)).toBe(true);
  await a.close();
  expect(await accepts(a.port)).toBe(false);
  await expect(access(a.dir)).rejects.toThrow();
  expect(await accepts(b.port)).toBe(true);
  await b.close();
});

it('stops and starts again on the same port', async () => {
  const broker = await startMosquitto();
  const { port } = broker;
  await broker.stop();
  expect(await accepts(port)).toBe(false);
  await broker.restart();
  expect(broker.port).toBe(port);
  expect(await accepts(port)).toBe(true);
  await broker.close();
});

it('fails, naming the install command, when an executable is missing', () => {
  expect(() => requireExecutable('mosquitto-not-installed-here')).toThrow(
    'mosquitto-not-installed-here is not installed; the MQTT integration tests need it: apt-get install mosquitto mosquitto-clients',
  );
});
