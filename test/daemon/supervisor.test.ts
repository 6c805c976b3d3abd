// The supervisor's backoff: a connection that drops right after it was made (a broker redelivering what the
// intake refuses, e.g. on a full disk) keeps backing off; one that stayed up stableMs starts again from initialMs.
import { expect, test } from 'vitest';
import type { Logger } from '../../connectors/types.js';
import { Supervisor } from '../../daemon/supervisor.js';
import { waitFor } from '../support/wait.js';

function recorder(): { log: Logger; delays: number[] } {
  const delays: number[] = [];
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (fields) => {
      const retry = (fields as { retryInMs?: number }).retryInMs;
      if (retry !== undefined) delays.push(retry);
    },
    error: () => undefined,
  };
  return { log, delays };
}

test('a connection lost right after connecting does not reset the backoff', async () => {
  const { log, delays } = recorder();
  let connects = 0;
  const s = new Supervisor(
    'receiver:x',
    () => {
      connects++;
      return Promise.resolve();
    },
    log,
    { initialMs: 4, maxMs: 1000, random: () => 0.5, stableMs: 60_000 },
  );
  await s.start();
  for (let i = 1; i <= 4; i++) {
    s.disconnected(new Error('refused'));
    await waitFor(`reconnect ${i}`, () => (connects > i ? true : undefined));
  }
  await s.stop();
  expect(delays).toEqual([3, 6, 12, 24]);
});

test('a connection that stayed up stableMs starts the backoff again from initialMs', async () => {
  const { log, delays } = recorder();
  let connects = 0;
  const s = new Supervisor(
    'receiver:y',
    () => {
      connects++;
      return Promise.resolve();
    },
    log,
    { initialMs: 4, maxMs: 1000, random: () => 0.5, stableMs: 0 },
  );
  await s.start();
  for (let i = 1; i <= 3; i++) {
    s.disconnected(new Error('lost'));
    await waitFor(`reconnect ${i}`, () => (connects > i ? true : undefined));
  }
  await s.stop();
  expect(delays).toEqual([3, 3, 3]);
});
