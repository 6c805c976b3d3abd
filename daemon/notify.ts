// systemd's notify protocol (Type=notify, WatchdogSec=) without native modules: READY=1 once state is recovered,
// RELOADING=1/READY=1 around a reload, STOPPING=1, STATUS= lines, and WATCHDOG=1 from the event loop.
//
// The protocol is one datagram on the $NOTIFY_SOCKET unix socket, and Node has no unix datagram sockets (dgram is
// UDP only). So each message is sent by `systemd-notify VAR=VALUE…`, a child process. systemd accepts a message
// from a child only with NotifyAccess=all (the unit sets it), and systemd-notify (systemd ≥ 246) waits on a
// notify barrier until the manager has read the message, so the child is still alive when systemd looks up its
// cgroup (the race that made systemd-notify unreliable before). Cost: one short process per message; the
// watchdog sends one every WatchdogSec/3, a few per minute.
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

/** Sends one notify message as assignments (`READY=1`); rejects when the sender fails. */
export type NotifySend = (assignments: string[]) => Promise<void>;

export interface NotifierOptions {
  /** The environment (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID). Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Sends a message. Default: runs `systemd-notify` (see above). */
  send?: NotifySend;
  log?: Pick<Logger, 'warn' | 'debug'>;
  /** This process's pid, compared with WATCHDOG_PID. Default: process.pid. */
  pid?: number;
}

export interface Notifier {
  /** Whether systemd is listening (NOTIFY_SOCKET is set). */
  readonly enabled: boolean;
  /** The watchdog ping interval, ms (a third of WatchdogSec), or null without a watchdog. */
  readonly watchdogMs: number | null;
  /** READY=1 with a status line; starts the watchdog pings. */
  ready(status: string): Promise<void>;
  reloading(): Promise<void>;
  stopping(): Promise<void>;
  status(text: string): Promise<void>;
  /** Stops the watchdog pings. */
  close(): void;
}

/** Runs systemd-notify; a failure carries its stderr. */
export const systemdNotify: NotifySend = (assignments) =>
  new Promise((resolve, reject) => {
    execFile('systemd-notify', assignments, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else reject(new Error(`systemd-notify failed: ${stderr.trim() || err.message}`, { cause: err }));
    });
  });

/** A status line must stay one line: systemd reads the message as newline-separated assignments. */
const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ').slice(0, 200);

export function createNotifier(options: NotifierOptions = {}): Notifier {
  const env = options.env ?? process.env;
  const send = options.send ?? systemdNotify;
  const pid = options.pid ?? process.pid;
  const enabled = (env.NOTIFY_SOCKET ?? '') !== '';
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === pid;
  const watchdogMs = enabled && forUs && Number.isFinite(usec) && usec > 0 ? Math.max(1, usec / 3000) : null;
  let timer: NodeJS.Timeout | undefined;
  let pinging = false;

  const notify = async (assignments: string[]): Promise<void> => {
    if (!enabled) return;
    try {
      await send(assignments);
    } catch (err) {
      // Never fatal: a missed READY=1 shows up as a start timeout in systemd, a missed ping as a restart.
      options.log?.warn({ err, message: assignments[0] }, 'systemd notify failed');
    }
  };

  const startWatchdog = (): void => {
    if (watchdogMs === null || timer !== undefined) return;
    // A timer on the event loop: if the loop is stuck, the pings stop and systemd restarts the service.
    timer = setInterval(() => {
      // One ping in flight at most: a slow manager must not pile up processes.
      if (pinging) return;
      pinging = true;
      void notify(['WATCHDOG=1']).finally(() => {
        pinging = false;
      });
    }, watchdogMs);
    timer.unref();
  };

  return {
    enabled,
    watchdogMs,
    async ready(status) {
      await notify(['READY=1', `STATUS=${oneLine(status)}`]);
      startWatchdog();
    },
    reloading: () => notify(['RELOADING=1', 'STATUS=reloading']),
    stopping: () => notify(['STOPPING=1', 'STATUS=stopping']),
    status: (text) => notify([`STATUS=${oneLine(text)}`]),
    close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
