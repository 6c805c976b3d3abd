// Event-time session windows: a key's session grows while its records come less than gapMs apart and closes
// when the watermark passes its last record + gap. A record that could only start a session that would already
// be closed goes to late().
import { collectList, partialFromJSON, partialToJSON, type Aggregator } from '../aggregator.js';
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import { KeyMap } from '../keys.js';
import { Watermark } from './watermark.js';
import { withLateOutput, type EventWindowedDStream, type WindowResult } from './window-result.js';

export interface SessionWindowOptions<V, P, R> {
  /** A session closes after this long without a record of its key (required). */
  gapMs: number;
  /** How far behind the latest event time a record may be and still count (required, may be 0). */
  allowedLatenessMs: number;
  /** The record's event time in epoch ms. */
  time: (value: V) => number;
  /** How a session folds its values; default: collects them into an array. */
  aggregate?: Aggregator<V, P, R>;
}

interface Session<P> {
  start: number;
  lastMs: number;
  partial: P;
}

interface Snapshot {
  watermark: unknown;
  sessions: [unknown, [number, number, unknown][]][];
}

export function sessionWindow<K, V, P = V[], R = V[]>(
  parent: DStream<readonly [K, V]>,
  options: SessionWindowOptions<V, P, R>,
): EventWindowedDStream<K, V, R> {
  const gapMs = options.gapMs;
  if (!(gapMs > 0) || !Number.isFinite(gapMs)) {
    throw new EngineError(
      'SLUICE_ENGINE_INVALID_DURATION',
      `sessionWindow: gapMs must be positive, got ${String(gapMs)}`,
    );
  }
  const agg = (options.aggregate ?? collectList<V>()) as Aggregator<V, P, R>;
  const time = options.time;
  const watermark = new Watermark(options.allowedLatenessMs);
  // Per key, open sessions sorted by start; they never overlap.
  const sessions = new KeyMap<K, Session<P>[]>();
  let lateBatch: { t: number; items: [K, V][] } = { t: Number.NaN, items: [] };

  /** Adds a record; returns false when it is late (it would open a session that is already closed). */
  const addRecord = (key: K, value: V, ts: number, watermarkMs: number): boolean => {
    const list = sessions.get(key) ?? [];
    // Sessions whose [start, last + gap) overlaps the record's [ts, ts + gap) merge with it.
    const overlapping = list.filter((s) => ts < s.lastMs + gapMs && ts + gapMs > s.start);
    if (overlapping.length === 0) {
      if (ts + gapMs <= watermarkMs) return false;
      list.push({ start: ts, lastMs: ts, partial: agg.add(agg.init(), value) });
    } else {
      let merged = overlapping[0] as Session<P>;
      for (const other of overlapping.slice(1)) {
        merged = {
          start: Math.min(merged.start, other.start),
          lastMs: Math.max(merged.lastMs, other.lastMs),
          partial: agg.merge(merged.partial, other.partial),
        };
      }
      merged.start = Math.min(merged.start, ts);
      merged.lastMs = Math.max(merged.lastMs, ts);
      merged.partial = agg.add(merged.partial, value);
      const kept = list.filter((s) => !overlapping.includes(s));
      kept.push(merged);
      list.length = 0;
      list.push(...kept);
    }
    list.sort((a, b) => a.start - b.start);
    sessions.set(key, list);
    return true;
  };

  const compute = (t: number): [K, WindowResult<R>][] => {
    const before = watermark.current;
    const late: [K, V][] = [];
    for (const [key, value] of parent.getOrCompute(t) ?? []) {
      const ts = time(value);
      if (!Number.isFinite(ts) || !addRecord(key, value, ts, before)) {
        late.push([key, value]);
        continue;
      }
      watermark.observe(ts);
    }
    lateBatch = { t, items: late };
    const now = watermark.advance();
    const closed: [K, WindowResult<R>][] = [];
    for (const [key, list] of sessions.entries()) {
      while (list.length > 0 && (list[0] as Session<P>).lastMs + gapMs <= now) {
        const s = list.shift() as Session<P>;
        closed.push([key, { start: s.start, end: s.lastMs + gapMs, value: agg.result(s.partial) }]);
      }
      if (list.length === 0) sessions.delete(key);
    }
    return closed.sort((a, b) => a[1].end - b[1].end);
  };

  const state: OperatorState = {
    signature: `sessionWindow(${gapMs},${options.allowedLatenessMs})`,
    snapshot: (): Snapshot => ({
      watermark: watermark.snapshot(),
      sessions: sessions
        .toPairs()
        .map(([k, list]) => [
          k,
          list.map((s): [number, number, unknown] => [s.start, s.lastMs, partialToJSON(agg, s.partial)]),
        ]),
    }),
    restore: (s) => {
      const snap = s as Partial<Snapshot> | null;
      if (snap === null || typeof snap !== 'object' || !Array.isArray(snap.sessions)) {
        throw new EngineError('SLUICE_ENGINE_CHECKPOINT', 'sessionWindow snapshot is malformed');
      }
      watermark.restore(snap.watermark);
      sessions.clear();
      for (const [k, list] of snap.sessions) {
        sessions.set(
          k as K,
          list.map(([start, lastMs, p]) => ({ start, lastMs, partial: partialFromJSON(agg, p) })),
        );
      }
    },
  };
  const main = parent.derive<[K, WindowResult<R>]>('sessionWindow', compute, { state });
  return withLateOutput<K, V, R>(main, (t) => (lateBatch.t === t ? lateBatch.items : []));
}
