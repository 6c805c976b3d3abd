// mapWithState (Spark's MapWithStateDStream): the mapping function runs once per record with that key's state;
// the stream outputs what it emits, and stateSnapshots() outputs every (key, state) after each batch.
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import { KeyMap } from '../keys.js';
import { State, type StateSpec } from './state-spec.js';

export type MapWithStateDStream<K, S, U> = DStream<U> & {
  /** Every key's state after each batch. */
  stateSnapshots(): DStream<[K, S]>;
};

interface Entry<S> {
  value: S;
  updatedMs: number;
}

interface Snapshot {
  initialized: boolean;
  states: [unknown, unknown, number][];
}

const DEFAULT_SCAN_SLIDES = 10;

export function mapWithState<K, V, S, U>(
  parent: DStream<readonly [K, V]>,
  spec: StateSpec<K, V, S, U>,
): MapWithStateDStream<K, S, U> {
  const fn = spec.mappingFunction;
  const timeoutMs = spec.timeoutMs;
  const scanMs = spec.timeoutScanIntervalMs ?? parent.slideMs * DEFAULT_SCAN_SLIDES;
  let states = new KeyMap<K, Entry<S>>();
  let initialized = false;
  const wrapper = new State<S>();

  const compute = (t: number): U[] => {
    if (!initialized) {
      initialized = true;
      for (const [k, s] of spec.initialStatePairs ?? []) states.set(k, { value: s, updatedMs: t });
    }
    const out: U[] = [];
    for (const [key, value] of parent.getOrCompute(t) ?? []) {
      const entry = states.get(key);
      wrapper.wrap(entry !== undefined, entry?.value, false);
      const emitted = fn(key, value, wrapper, t);
      if (wrapper.isRemoved()) states.delete(key);
      else if (wrapper.isUpdated()) states.set(key, { value: wrapper.get(), updatedMs: t });
      else if (entry !== undefined && timeoutMs !== undefined) entry.updatedMs = t;
      if (emitted !== undefined) out.push(emitted);
    }
    if (timeoutMs !== undefined && (t - parent.ctx.zeroTime()) % scanMs === 0) {
      const threshold = t - timeoutMs;
      for (const [key, entry] of states.entries()) {
        if (entry.updatedMs >= threshold) continue;
        wrapper.wrap(true, entry.value, true);
        const emitted = fn(key, null, wrapper, t);
        states.delete(key);
        if (emitted !== undefined) out.push(emitted);
      }
    }
    return out;
  };

  const state: OperatorState = {
    signature: `mapWithState(${String(timeoutMs ?? 'none')})`,
    snapshot: (): Snapshot => ({
      initialized,
      states: [...states.entries()].map(([k, e]) => [k, e.value, e.updatedMs]),
    }),
    restore: (s) => {
      const snap = s as Partial<Snapshot> | null;
      if (snap === null || typeof snap !== 'object' || !Array.isArray(snap.states)) {
        throw new EngineError('SLUICE_ENGINE_CHECKPOINT', 'mapWithState snapshot is malformed');
      }
      initialized = snap.initialized === true;
      states = new KeyMap<K, Entry<S>>();
      for (const [k, value, updatedMs] of snap.states) states.set(k as K, { value: value as S, updatedMs });
    },
  };
  const mapped = parent.derive<U>('mapWithState', compute, { state });
  const snapshots = (): DStream<[K, S]> =>
    mapped.derive<[K, S]>('stateSnapshots', (t) => {
      if (mapped.getOrCompute(t) === null) return null;
      return [...states.entries()].map(([k, e]): [K, S] => [k, e.value]);
    });
  return Object.assign(mapped, { stateSnapshots: snapshots });
}
