// systemd notify: the messages and the watchdog interval from the environment, and `sluice run` under a stand-in
// systemd-notify on PATH that records what the daemon sends: READY=1 after recovery, WATCHDOG=1 pings,
// RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createNotifier } from '../../daemon/notify.js';
import { startDaemon, type DaemonProcess } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

describe('createNotifier', () => {
  test('does nothing without NOTIFY_SOCKET', async () => {
    const sent: string[][] = [];
    const n = createNotifier({
      env: { WATCHDOG_USEC: '3000000' },
      send: (a) => {
        sent.push(a);
        return Promise.resolve();
      },
    });
    await n.ready('up');
    expect(n.enabled).toBe(false);
    expect(n.watchdogMs).toBeNull();
    expect(sent).toEqual([]);
    n.close();
  });

  test('sends READY=1 with a one-line status, then pings the watchdog every third of WatchdogSec', async () => {
    const sent: string[][] = [];
    const n = createNotifier({
      env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '150000', WATCHDOG_PID: '42' },
      pid: 42,
      send: (a) => {
        sent.push(a);
        return Promise.resolve();
      },
    });
    expect(n.watchdogMs).toBe(50);
    await n.ready('running\ngateway x');
    expect(sent[0]).toEqual(['READY=1', 'STATUS=running gateway x']);
    await waitFor('two watchdog pings', () =>
      sent.filter((a) => a[0] === 'WATCHDOG=1').length >= 2 ? true : undefined,
    );
    n.close();
    await n.stopping();
    expect(sent.at(-1)).toEqual(['STOPPING=1', 'STATUS=stopping']);
  });

  test('leaves the watchdog to another process named by WATCHDOG_PID, and survives a failing sender', async () => {
    const warnings: unknown[] = [];
    const n = createNotifier({
      env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '150000', WATCHDOG_PID: '7' },
      pid: 42,
      send: () => Promise.reject(new Error('no manager')),
      log: {
        warn: (o: unknown) => {
          warnings.push(o);
        },
        debug: () => undefined,
      } as never,
    });
    expect(n.watchdogMs).toBeNull();
    await expect(n.ready('up')).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    n.close();
  });
});

describe('sluice run under systemd', () => {
  let dir: string | undefined;
  let daemon: DaemonProcess | undefined;
  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('notifies ready after recovery, pings the watchdog, and reports reload and stop', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-notify-'));
    const bin = path.join(dir, 'bin');
    const record = path.join(dir, 'notify.log');
    // A stand-in for systemd-notify: one line per message, its assignments separated by "|".
    await mkdir(bin);
    await writeFile(
      path.join(bin, 'systemd-notify'),
      `#!/bin/sh\nIFS='|'; printf '%s|socket=%s\\n' "$*" "$NOTIFY_SOCKET" >> '${record}'\n`,
    );
    await chmod(path.join(bin, 'systemd-notify'), 0o755);
    const file = path.join(dir, 'sluice.yaml');
    await writeFile(
      file,
      `gateway: { id: notified }
batch: { interval: 200ms }
state: { dir: ./state }
receivers:
  sensors: { type: simulator, sensors: 2, interval: 100ms }
sinks:
  out: { type: file, path: ./out.jsonl }
pipelines:
  p: { from: [sensors], window: { length: 1s, time: processing }, aggregate: { n: count() }, to: [out] }
api: { port: 0 }
`,
    );
    daemon = startDaemon(
      ['run', '-c', file],
      {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        NOTIFY_SOCKET: '/run/systemd/notify-test',
        WATCHDOG_USEC: '300000',
      },
      dir,
    );
    const lines = async (): Promise<string[]> =>
      (await readFile(record, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    await waitFor('READY=1 and two watchdog pings', async () => {
      const l = await lines();
      return l.filter((x) => x.startsWith('WATCHDOG=1')).length >= 2 ? l : undefined;
    });
    const first = await lines();
    expect(first[0]).toBe('READY=1|STATUS=running gateway notified|socket=/run/systemd/notify-test');
    expect(daemon.output()).toContain('"msg":"running"');

    daemon.child.kill('SIGHUP');
    await waitFor('RELOADING=1 then READY=1', async () => {
      const l = (await lines()).filter((x) => !x.startsWith('WATCHDOG'));
      return l.length >= 3 ? l : undefined;
    });
    const events = (await lines()).filter((x) => !x.startsWith('WATCHDOG')).map((x) => x.split('|')[0]);
    expect(events.slice(0, 3)).toEqual(['READY=1', 'RELOADING=1', 'READY=1']);

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    daemon = undefined;
    expect((await lines()).filter((x) => !x.startsWith('WATCHDOG')).map((x) => x.split('|')[0])).toEqual([
      'READY=1',
      'RELOADING=1',
      'READY=1',
      'STOPPING=1',
    ]);
  }, 60_000);
});
