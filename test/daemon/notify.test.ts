// systemd notify: the messages and the watchdog interval from the environment, and `sluice run` with the real
// systemd-notify sending to a real notify socket (test/support/notify-socket.ts), which records what arrives:
// READY=1 after recovery, WATCHDOG=1 pings, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createNotifier } from '../../daemon/notify.js';
import { startDaemon, type DaemonProcess } from '../support/daemon.js';
import { writeSimulatorConfig } from '../support/gateway-configs.js';
import { listenNotifySocket, type NotifySocket } from '../support/notify-socket.js';
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
  let socket: NotifySocket | undefined;
  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    socket?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('notifies ready after recovery, pings the watchdog, and reports reload and stop', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-notify-'));
    // The real systemd-notify (Debian's systemd package) sends to a real unix datagram socket, as under systemd.
    socket = await listenNotifySocket(path.join(dir, 'notify.sock'));
    const file = await writeSimulatorConfig(dir, 'notified');
    daemon = startDaemon(['run', '-c', file], { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '300000' }, dir);
    const received = socket;
    const lifecycle = (): string[] =>
      received
        .messages()
        .filter((x) => !x.startsWith('WATCHDOG=1'))
        .map((x) => x.split('|')[0] ?? '');
    await waitFor('READY=1 and two watchdog pings', () =>
      received.messages().filter((x) => x === 'WATCHDOG=1').length >= 2 ? true : undefined,
    );
    expect(received.messages()[0]).toBe('READY=1|STATUS=running gateway notified');
    expect(daemon.output()).toContain('"msg":"running"');

    daemon.child.kill('SIGHUP');
    await waitFor('RELOADING=1 then READY=1', () => (lifecycle().length >= 3 ? true : undefined));
    expect(lifecycle().slice(0, 3)).toEqual(['READY=1', 'RELOADING=1', 'READY=1']);

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    daemon = undefined;
    expect(lifecycle()).toEqual(['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
  }, 60_000);
});
