// What an event-time window emits per key, and the late side output every event-time operator offers.
import type { DStream } from '../dstream.js';

/** One closed window of one key: [start, end) in event time, and its aggregated value. */
export interface WindowResult<R> {
  start: number;
  end: number;
  value: R;
}

/** An event-time windowed stream: final window results, plus the records that came too late for them. */
export type EventWindowedDStream<K, V, R> = DStream<[K, WindowResult<R>]> & {
  /** Records whose windows had already closed when they arrived (or whose time was not a finite number):
   * never dropped silently. */
  late(): DStream<[K, V]>;
};

/** Attaches late(): a side stream that yields, per batch, the late records the main stream set aside. */
export function withLateOutput<K, V, R>(
  main: DStream<[K, WindowResult<R>]>,
  lateAt: (timeMs: number) => readonly [K, V][],
): EventWindowedDStream<K, V, R> {
  let late: DStream<[K, V]> | undefined;
  return Object.assign(main, {
    late: (): DStream<[K, V]> => {
      late ??= main.derive<[K, V]>('late', (t) => (main.getOrCompute(t) === null ? null : lateAt(t)));
      return late;
    },
  });
}
