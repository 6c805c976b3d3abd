// Drains one sink's outbox in key order (batch time, then position): sends a chunk, and deletes it only after
// the sink acknowledged it. A failed send leaves the chunk in place; the supervisor reconnects with backoff.
// With a drain cap, a token bucket (one second's worth of burst) spaces the sends out.
import {
  PermanentSinkError,
  SinkSendError,
  type Logger,
  type OutboxEntry,
  type Sink,
} from '../connectors/types.js';
import type { DrainConfig } from './config/common-schemas.js';
import { entryBytes, type Outbox, type OutboxCounters } from './outbox.js';
import type { Supervisor } from './supervisor.js';
import { TokenBucket } from './token-bucket.js';

type Taken = Awaited<ReturnType<Outbox['take']>>;

export interface ForwarderOptions {
  /** Entries per send (default 500). */
  chunk?: number;
  /** Drain rate cap (default: unlimited). */
  drain?: DrainConfig;
  /** The clock the drain cap and failed sends' times read, epoch ms (default Date.now; tests inject one). */
  now?: () => number;
  /** Waits ms on that clock (default setTimeout; tests inject one that advances their clock). */
  sleep?: (ms: number) => Promise<void>;
  /** Keeps an entry the sink refused for good (PermanentSinkError) as a dead letter; the forwarder then deletes
   * it from the outbox and goes on. Default: none, and such an entry stays in the outbox and is retried. */
  deadLetter?: (key: string, entry: OutboxEntry, reason: string) => Promise<void>;
}

export class Forwarder {
  private readonly chunk: number;
  private readonly bucket: TokenBucket | undefined;
  private readonly sleepMs: (ms: number) => Promise<void>;
  private wakeUp: (() => void) | undefined;
  /** A wake() that came while the loop was busy: the next sleep() returns at once. */
  private woken = false;
  private stopped = true;
  private loop: Promise<void> = Promise.resolve();
  /** Entries acknowledged by the sink since start. */
  sent = 0;
  /** Bytes of the entries acknowledged since start. */
  sentBytes = 0;
  /** Entries the sink refused for good and the forwarder kept as dead letters, since start. */
  deadLettered = 0;
  private readonly deadLetter: ForwarderOptions['deadLetter'];
  private readonly now: () => number;
  /** A delete of sent entries failed: the loop stops overlapping and reads from the oldest entry again. */
  private ackFailed = false;

  constructor(
    readonly sinkId: string,
    private readonly sink: Sink,
    readonly outbox: Outbox,
    private readonly supervisor: Supervisor,
    private readonly log: Logger,
    options: ForwarderOptions = {},
  ) {
    this.chunk = options.chunk ?? 500;
    this.deadLetter = options.deadLetter;
    this.now = options.now ?? Date.now;
    const rate = options.drain?.maxBytesPerSecond ?? 0;
    this.bucket = rate > 0 ? new TokenBucket(rate, rate, options.now ?? Date.now) : undefined;
    this.sleepMs =
      options.sleep ??
      ((ms) =>
        new Promise((resolve) => {
          setTimeout(resolve, ms);
        }));
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

  /** Entries waiting in the outbox, their bytes, the oldest key and the drops (running counters, no scan). */
  backlog(): Promise<OutboxCounters> {
    return Promise.resolve(this.outbox.counters);
  }

  /**
   * The loop: take a chunk, send it, acknowledge it. Two things overlap with each send (when no drain cap is set):
   * the next chunk is read from the outbox (read-ahead), and the previous chunk's delete runs. Sends stay one at a
   * time and in order. A failed delete stops the overlap: every later delete in the chain is skipped, the chunks
   * go back to the outbox and are sent again (same ids), and reading starts over from the oldest entry left.
   */
  private async run(): Promise<void> {
    /** The next chunk, read while the previous one was being sent. */
    let ahead: Promise<Taken> | undefined;
    /** The chain of deletes of sent chunks; resolves false once one has failed. */
    let acking: Promise<boolean> = Promise.resolve(true);
    const dropAhead = async (): Promise<void> => {
      const pending = ahead;
      ahead = undefined;
      if (pending === undefined) return;
      const taken = await pending.catch(() => undefined);
      if (taken !== undefined) this.outbox.abandon(taken.keys);
    };
    try {
      while (!this.stopped) {
        if (this.supervisor.status.state !== 'connected') {
          await dropAhead();
          await this.sleep();
          continue;
        }
        if (this.ackFailed) {
          // Wait for the chain to settle, forget the read-ahead (it skipped the undeleted chunks), start over.
          await acking;
          acking = Promise.resolve(true);
          await dropAhead();
          this.ackFailed = false;
          await this.sleepMs(1000);
          continue;
        }
        let next = ahead;
        ahead = undefined;
        if (next === undefined) {
          // Read from the oldest entry: only once the deletes of the chunks sent before are done.
          if (!(await acking)) continue; // a delete failed: the top of the loop starts over
          next = this.outbox.take(this.chunk);
        }
        const taken = await next;
        let { keys, entries } = taken;
        if (entries.length === 0) {
          await this.sleep();
          continue;
        }
        const sizes = entries.map(entryBytes);
        let bytes = sizes.reduce((a, b) => a + b, 0);
        if (this.bucket !== undefined) {
          // No more than the bucket can ever hold in one send (at least one entry), then wait for the tokens.
          let n = 0;
          let fit = 0;
          while (n < entries.length && (n === 0 || fit + (sizes[n] as number) <= this.bucket.capacity))
            fit += sizes[n++] as number;
          this.outbox.abandon(keys.slice(n));
          keys = keys.slice(0, n);
          entries = entries.slice(0, n);
          bytes = fit;
          const delay = this.bucket.delayFor(bytes);
          if (delay > 0) {
            this.outbox.abandon(keys);
            await this.sleepMs(delay);
            continue;
          }
          this.bucket.take(bytes);
        } else {
          ahead = this.outbox.take(this.chunk, keys.at(-1));
        }
        try {
          await this.sink.send(entries);
        } catch (err) {
          // The failure is settled against a quiet outbox: earlier deletes done, no read-ahead outstanding.
          if (!(await acking)) this.ackFailed = true;
          acking = Promise.resolve(true);
          await dropAhead();
          if (await this.settleFailure(err, keys, entries, sizes)) continue;
          this.log.warn({ sink: this.sinkId, err }, 'send failed; entries stay in the outbox');
          this.supervisor.disconnected(err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        const sent = { keys, count: entries.length, bytes };
        acking = acking.then((ok) => this.acknowledge(sent, ok));
      }
    } finally {
      await acking;
      await dropAhead();
    }
  }

  /** Deletes a sent chunk from the outbox, unless an earlier delete failed (then it goes back, to be resent). */
  private async acknowledge(
    sent: { keys: readonly string[]; count: number; bytes: number },
    earlierOk: boolean,
  ): Promise<boolean> {
    if (earlierOk) {
      try {
        await this.outbox.acknowledge(sent.keys);
        this.sent += sent.count;
        this.sentBytes += sent.bytes;
        return true;
      } catch (err) {
        // They were delivered but stay in the outbox: sent again later under the same ids.
        this.log.error({ sink: this.sinkId, err }, 'cannot remove delivered entries from the outbox');
      }
    }
    this.outbox.abandon(sent.keys);
    this.ackFailed = true;
    return false;
  }

  /**
   * After a failed send: acknowledges the entries the sink says were delivered before the failure, and keeps an
   * entry it refused for good as a dead letter; the rest stay. True when the loop goes on without a reconnect.
   */
  private async settleFailure(
    err: unknown,
    keys: readonly string[],
    entries: readonly OutboxEntry[],
    sizes: readonly number[],
  ): Promise<boolean> {
    if (err instanceof SinkSendError) {
      // The entry that failed keeps the time of its first failure, across restarts (a sink's retry limit).
      const failedKey = keys[err.delivered];
      const failed = entries[err.delivered];
      if (failedKey !== undefined && failed !== undefined) {
        await this.outbox.markFailed(failedKey, failed, this.now()).catch((writeErr: unknown) => {
          this.log.warn({ sink: this.sinkId, err: writeErr }, 'cannot record a failed send in the outbox');
        });
      }
    }
    const refused = err instanceof PermanentSinkError && this.deadLetter !== undefined ? err.index : -1;
    const reported =
      err instanceof PermanentSinkError ? err.index : err instanceof SinkSendError ? err.delivered : 0;
    const delivered = Math.max(0, Math.min(reported, keys.length));
    const done = keys.slice(0, delivered);
    const refusedKey = refused === delivered ? keys[refused] : undefined;
    const refusedEntry = refused === delivered ? entries[refused] : undefined;
    this.outbox.abandon(keys.slice(done.length + (refusedKey === undefined ? 0 : 1)));
    try {
      if (refusedKey !== undefined && refusedEntry !== undefined && this.deadLetter !== undefined) {
        await this.deadLetter(refusedKey, refusedEntry, (err as Error).message);
        done.push(refusedKey);
      }
      if (done.length > 0) await this.outbox.acknowledge(done);
    } catch (writeErr) {
      this.outbox.abandon(done);
      this.log.error({ sink: this.sinkId, err: writeErr }, 'cannot settle a failed send in the outbox');
      await this.sleepMs(1000);
      return true;
    }
    this.sent += delivered;
    this.sentBytes += sizes.slice(0, delivered).reduce((a, b) => a + b, 0);
    if (refusedEntry === undefined) return false;
    this.deadLettered++;
    this.log.warn(
      { sink: this.sinkId, id: refusedEntry.id, reason: (err as Error).message },
      'the sink refused an entry for good; kept as a dead letter',
    );
    return true;
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
