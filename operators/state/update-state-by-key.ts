// updateStateByKey (Spark's StateDStream): a state per key, updated every batch, output whole every batch.
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import { KeyMap } from '../keys.js';

/** Called for every key that has a state or new values; returns the new state, or undefined to remove the key.
 * `state` is undefined for a key without state; `values` is empty for a key with no data in this batch (one
 * shared frozen array: copy it before adding to it). Returning `state` itself keeps it without any copy. */
export type UpdateFunction<K, V, S> = (
  values: V[],
  state: S | undefined,
  info: { key: K; timeMs: number },
) => S | undefined;

const NO_VALUES: never[] = Object.freeze([]) as never[];

export interface UpdateStateOptions<K, S> {
  /** States present before the first batch (they appear in the first output even without data). Default: none. */
  initialState?: Iterable<readonly [K, S]>;
}

interface Snapshot {
  initialized: boolean;
  states: [unknown, unknown][];
}

// A key's state and the values it received in the batch being computed (null: none).
interface Entry<V, S> {
  state: S | undefined;
  values: V[] | null;
}

function newEntry<V, S>(): Entry<V, S> {
  return { state: undefined, values: null };
}

function entriesOf<K, V, S>(pairs: Iterable<readonly [K, S]>): KeyMap<K, Entry<V, S>> {
  const m = new KeyMap<K, Entry<V, S>>();
  for (const [k, state] of pairs) m.set(k, { state, values: null });
  return m;
}

function statePairs<K, V, S>(entries: KeyMap<K, Entry<V, S>>): [K, S][] {
  const out: [K, S][] = [];
  entries.forEach((e, k) => out.push([k, e.state as S]));
  return out;
}

export function updateStateByKey<K, V, S>(
  parent: DStream<readonly [K, V]>,
  update: UpdateFunction<K, V, S>,
  options: UpdateStateOptions<K, S>,
): DStream<[K, S]> {
  const initial = options.initialState === undefined ? undefined : [...options.initialState];
  // One entry per key, updated in place: the batch's values are grouped straight into it (one lookup per
  // record), keys new in the batch are appended, so one pass in map order calls update as Spark does: every
  // key with a state, in state order, then the new keys in first-seen order.
  let states = new KeyMap<K, Entry<V, S>>();
  // False until the first batch the parent produced: before it, Spark's StateDStream produces no batch.
  let initialized = false;

  const compute = (t: number): [K, S][] | null => {
    const batch = parent.getOrCompute(t);
    if (!initialized) {
      if (batch === null) return null;
      initialized = true;
      if (initial !== undefined) states = entriesOf(initial);
    }
    for (const [k, v] of batch ?? []) {
      const e = states.getOrCreate(k, newEntry);
      if (e.values === null) e.values = [v];
      else e.values.push(v);
    }
    states.forEach((e, key) => {
      const next = update(e.values ?? NO_VALUES, e.state, { key, timeMs: t });
      e.values = null;
      if (next === undefined) states.delete(key);
      else e.state = next;
    });
    return statePairs(states);
  };

  const state: OperatorState = {
    signature: 'updateStateByKey',
    snapshot: (): Snapshot => ({ initialized, states: statePairs(states) }),
    restore: (s) => {
      const snap = s as Partial<Snapshot> | null;
      if (snap === null || typeof snap !== 'object' || !Array.isArray(snap.states)) {
        throw new EngineError('SLUICE_ENGINE_CHECKPOINT', 'updateStateByKey snapshot is malformed');
      }
      initialized = snap.initialized === true;
      states = entriesOf(snap.states as [K, S][]);
    },
  };
  return parent.derive<[K, S]>('updateStateByKey', compute, { state });
}
