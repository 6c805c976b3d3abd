// Owns a connector's connection: connect, report the state, and after a failure or a lost connection try again
// with jittered exponential backoff ("full jitter"), so a fleet of gateways does not reconnect in lockstep.
// Connectors never retry on their own.
import type { ConnectorState, Logger } from '../connectors/types.js';

export interface BackoffOptions {
  /** First retry delay ceiling, ms (default 500). */
  initialMs?: number;
  /** Longest delay ceiling, ms (default 30 000). */
  maxMs?: number;
  /** Random source in [0, 1) (default Math.random; tests pass a fixed one). */
  random?: () => number;
  /**
   * How long a connection must stay up before the backoff starts again from initialMs (default 10 000). A
   * connection that drops sooner (a broker redelivering what a full disk cannot take) keeps backing off instead
   * of reconnecting in a tight loop.
   */
  stableMs?: number;
}

export interface ConnectorStatus {
  state: ConnectorState;
  /** When the state last changed, epoch ms. */
  sinceMs: number;
  lastError: { message: string; atMs: number } | null;
  /** Failed attempts since the last success. */
  failures: number;
}

/** Delay before retry number `attempt` (0-based): uniform in [ceiling/2, ceiling), ceiling = min(max, initial·2^n). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + (options.random ?? Math.random)() * (ceiling / 2);
}

export class Supervisor {
  private current: ConnectorStatus;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt: Promise<void> | undefined;
  private readonly listeners: ((status: ConnectorStatus) => void)[] = [];
  /** Failures counting toward the backoff: reset only by a connection that stayed up stableMs. */
  private streak = 0;
  private connectedAtMs: number | undefined;

  constructor(
    readonly name: string,
    private readonly connectOnce: () => Promise<void>,
    private readonly log: Logger,
    private readonly backoff: BackoffOptions = {},
  ) {
    this.current = { state: 'stopped', sinceMs: Date.now(), lastError: null, failures: 0 };
  }

  get status(): ConnectorStatus {
    return { ...this.current };
  }

  onChange(listener: (status: ConnectorStatus) => void): void {
    this.listeners.push(listener);
  }

  /** Starts connecting; resolves after the first attempt, whatever its outcome. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tryConnect();
  }

  /** The connector lost its connection: report it and reconnect after a backoff. */
  disconnected(err?: Error): void {
    if (this.stopped) return;
    this.fail(err ?? new Error('connection lost'));
  }

  /** Stops retrying; the caller closes the connector. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.attempt?.catch(() => undefined);
    this.set('stopped');
  }

  private async tryConnect(): Promise<void> {
    if (this.stopped) return;
    this.set(this.current.failures === 0 ? 'connecting' : 'degraded');
    this.attempt = this.connectOnce();
    try {
      await this.attempt;
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    } finally {
      this.attempt = undefined;
    }
    // stop() may have come while connecting.
    if (!this.running()) return;
    this.current.failures = 0;
    this.connectedAtMs = Date.now();
    this.set('connected');
  }

  private running(): boolean {
    return !this.stopped;
  }

  private fail(err: Error): void {
    this.current.lastError = { message: err.message, atMs: Date.now() };
    if (
      this.connectedAtMs !== undefined &&
      Date.now() - this.connectedAtMs >= (this.backoff.stableMs ?? 10_000)
    ) {
      this.streak = 0;
    }
    this.connectedAtMs = undefined;
    const delay = backoffDelay(this.streak, this.backoff);
    this.streak++;
    this.current.failures++;
    this.set('degraded');
    this.log.warn({ connector: this.name, err, retryInMs: Math.round(delay) }, 'connector failed; retrying');
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tryConnect();
    }, delay);
  }

  private set(state: ConnectorState): void {
    if (this.current.state === state) return;
    this.current.state = state;
    this.current.sinceMs = Date.now();
    for (const listener of this.listeners) listener(this.status);
  }
}
