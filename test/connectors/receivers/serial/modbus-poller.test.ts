// The Modbus master when its event loop is busy (a loaded gateway: a long batch, a GC pause). Timers run before
// the loop reads its ports, so when the loop comes back after the timeout, the timeout fires first even though the
// answer came in time and waits in the kernel. The poller must read it before it calls the request timed out.
// Over a loopback TCP connection instead of a pty: the answer is in the master's socket when the loop blocks, with
// no socat process in between to be scheduled.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { ModbusPoller, type PollOutcome } from '../../../../connectors/receivers/serial/modbus-poller.js';
import { findProfile } from '../../../../hardware/profiles/index.js';
import { ModbusSlave } from '../../../../hardware/simulators/modbus-slave.js';
import { waitFor } from '../../../support/wait.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** Both ends of a loopback TCP connection: the master's and the slave's. */
async function line(): Promise<{ master: Socket; slave: Socket }> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const master = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [slave] = (await accepted) as [Socket];
  await once(master, 'connect').catch(() => undefined);
  closers.push(() => {
    master.destroy();
    slave.destroy();
    server.close();
  });
  return { master, slave };
}

test('an answer that came within the timeout is taken, though the event loop got to it only after the timeout', async () => {
  const { master, slave: slaveSide } = await line();
  const slave = new ModbusSlave({ unitId: 1, input: { 1: 215, 2: 400 } });
  const device = findProfile('sht3x-modbus')?.modbus;
  if (device === undefined) throw new Error('no sht3x-modbus profile');
  const timeoutMs = 100;
  const outcomes: PollOutcome[] = [];
  let blockedMs = 0;
  const poller = new ModbusPoller([{ ...device, timeout: timeoutMs, pollInterval: 3_600_000 }], {
    gapMs: 20,
    write: (request) => {
      const sent = performance.now();
      // In the check phase, after this turn's reads: the slave answers at once (a loopback write is in the
      // master's socket when it returns), then the loop is busy until the timeout has passed.
      setImmediate(() => {
        const answer = slave.respond(request);
        if (answer !== undefined) slaveSide.write(answer);
        while (performance.now() < sent + timeoutMs + 50);
        blockedMs = performance.now() - sent;
      });
      return Promise.resolve();
    },
    onPoll: (outcome) => outcomes.push(outcome),
    ready: () => true,
  });
  master.on('data', (chunk: Buffer) => {
    poller.feed(chunk);
  });
  poller.start();
  closers.push(() => {
    poller.stop();
  });
  await waitFor('the first poll', () => outcomes[0]);
  expect(blockedMs).toBeGreaterThan(timeoutMs);
  expect(slave.answers).toBe(1);
  expect(outcomes[0]).toMatchObject({ ok: true, fields: { temperature: 21.5, humidity: 40 } });
});
