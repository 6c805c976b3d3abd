// updateStateByKey (Spark's StateDStream): a state per key, updated every batch, output whole every batch.
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import { groupByKey, KeyMap } from '../keys.js';

/** Called for every key that has a state or new values; returns the new state, or undefined to remove the key.
 * `state` is undefined for a key without state; `values` is empty for a key with no data in this batch. */
export type UpdateFunction<K, V, S> = (
  values: V[],
  state: S | undefined,
  info: { key: K; timeMs: number },
) => S | undefined;

export interface UpdateStateOptions<K, S> {
  /** States present before the first batch (they appear in the first output even without data). Default: none. */
  initialState?: Iterable<readonly [K, S]>;
}

interface Snapshot {
  initialized: boolean;
  states: [unknown, unknown][];
}

export function updateStateByKey<K, V, S>(
  parent: DStream<readonly [K, V]>,
  update: UpdateFunction<K, V, S>,
  options: UpdateStateOptions<K, S>,
): DStream<[K, S]> {
  const initial = options.initialState === undefined ? undefined : [...options.initialState];
  let states = new KeyMap<K, S>();
  // False until the first batch the parent produced: before it, Spark's StateDStream produces no batch.
  let initialized = false;

  const compute = (t: number): [K, S][] | null => {
    const batch = parent.getOrCompute(t);
    if (!initialized) {
      if (batch === null) return null;
      initialized = true;
      if (initial !== undefined) states = KeyMap.fromPairs(initial);
    }
    const groups = groupByKey(batch ?? []);
    const next = new KeyMap<K, S>();
    for (const [key, state] of states.entries()) {
      const s = update(groups.get(key) ?? [], state, { key, timeMs: t });
      if (s !== undefined) next.set(key, s);
    }
    for (const [key, values] of groups.entries()) {
      if (states.has(key)) continue;
      const s = update(values, undefined, { key, timeMs: t });
      if (s !== undefined) next.set(key, s);
    }
    states = next;
    return states.toPairs();
  };

  const state: OperatorState = {
    signature: 'updateStateByKey',
    snapshot: (): Snapshot => ({ initialized, states: states.toPairs() }),
    restore: (s) => {
      const snap = s as Partial<Snapshot> | null;
      if (snap === null || typeof snap !== 'object' || !Array.isArray(snap.states)) {
        throw new EngineError('SLUICE_ENGINE_CHECKPOINT', 'updateStateByKey snapshot is malformed');
      }
      initialized = snap.initialized === true;
      states = KeyMap.fromPairs(snap.states as [K, S][]);
    },
  };
  return parent.derive<[K, S]>('updateStateByKey', compute, { state });
}
