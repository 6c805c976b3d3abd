// Drains one sink's outbox in key order (batch time, then position): sends a chunk, and deletes it only after
// the sink acknowledged it. A failed send leaves the chunk in place; the supervisor reconnects with backoff.
import type { Logger, OutboxEntry, Sink } from '../connectors/types.js';
import type { BatchOp, Store } from './store/store.js';
import type { Supervisor } from './supervisor.js';

export interface ForwarderOptions {
  /** Entries per send (default 500). */
  chunk?: number;
}

export class Forwarder {
  private readonly chunk: number;
  private wakeUp: (() => void) | undefined;
  /** A wake() that came while the loop was busy: the next sleep() returns at once. */
  private woken = false;
  private stopped = true;
  private loop: Promise<void> = Promise.resolve();
  /** Entries acknowledged by the sink since start. */
  sent = 0;

  constructor(
    readonly sinkId: string,
    private readonly sink: Sink,
    private readonly store: Store,
    private readonly supervisor: Supervisor,
    private readonly log: Logger,
    options: ForwarderOptions = {},
  ) {
    this.chunk = options.chunk ?? 500;
    supervisor.onChange(() => {
      this.wake();
    });
  }

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  /** New entries were committed, or the sink's state changed. */
  wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    if (wake === undefined) this.woken = true;
    else wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  /** Entries waiting in the outbox, and their bytes. */
  async backlog(): Promise<{ entries: number; bytes: number; oldestKey: string | null }> {
    let entries = 0;
    let bytes = 0;
    let oldestKey: string | null = null;
    for await (const [key, value] of this.store.outbox(this.sinkId).iterator()) {
      oldestKey ??= key;
      entries++;
      bytes += (value as OutboxEntry).value.length;
    }
    return { entries, bytes, oldestKey };
  }

  private async run(): Promise<void> {
    const outbox = this.store.outbox(this.sinkId);
    while (!this.stopped) {
      if (this.supervisor.status.state !== 'connected') {
        await this.sleep();
        continue;
      }
      const keys: string[] = [];
      const entries: OutboxEntry[] = [];
      for await (const [key, value] of outbox.iterator({ limit: this.chunk })) {
        keys.push(key);
        entries.push(value as OutboxEntry);
      }
      if (entries.length === 0) {
        await this.sleep();
        continue;
      }
      try {
        await this.sink.send(entries);
      } catch (err) {
        this.log.warn({ sink: this.sinkId, err }, 'send failed; entries stay in the outbox');
        this.supervisor.disconnected(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      const ops: BatchOp[] = keys.map((key) => ({ type: 'del', sublevel: outbox, key }));
      try {
        await this.store.write(ops);
      } catch (err) {
        // They were delivered but stay in the outbox: sent again later under the same ids.
        this.log.error({ sink: this.sinkId, err }, 'cannot remove delivered entries from the outbox');
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      this.sent += entries.length;
    }
  }

  private sleep(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }
}
