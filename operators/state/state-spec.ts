// StateSpec and State for mapWithState, with Spark's names and rules (no update while timing out, no double
// remove, ...).
import { EngineError } from '../engine-error.js';

/** Called once per record of the batch with the key's state, and once with value null for a key timing out.
 * Returns what to emit, or undefined to emit nothing. */
export type MappingFunction<K, V, S, U> = (
  key: K,
  value: V | null,
  state: State<S>,
  timeMs: number,
) => U | undefined;

export class StateSpec<K, V, S, U> {
  /** Idle time after which a key times out; default: never. */
  timeoutMs: number | undefined;
  /** How often idle keys are looked for (Spark: the state stream's checkpoint interval); default: 10 slides. */
  timeoutScanIntervalMs: number | undefined;
  initialStatePairs: readonly (readonly [K, S])[] | undefined;

  private constructor(readonly mappingFunction: MappingFunction<K, V, S, U>) {}

  static function<K, V, S, U>(fn: MappingFunction<K, V, S, U>): StateSpec<K, V, S, U> {
    return new StateSpec(fn);
  }

  timeout(ms: number): this {
    if (!(ms > 0)) {
      throw new EngineError(
        'SLUICE_ENGINE_INVALID_DURATION',
        `StateSpec.timeout needs a positive duration, got ${ms}`,
      );
    }
    this.timeoutMs = ms;
    return this;
  }

  timeoutScanInterval(ms: number): this {
    if (!(ms > 0)) {
      throw new EngineError(
        'SLUICE_ENGINE_INVALID_DURATION',
        `timeoutScanInterval needs a positive duration, got ${ms}`,
      );
    }
    this.timeoutScanIntervalMs = ms;
    return this;
  }

  initialState(pairs: Iterable<readonly [K, S]>): this {
    this.initialStatePairs = [...pairs];
    return this;
  }
}

/** A key's state as the mapping function sees it. */
export class State<S> {
  private value: S | undefined;
  private defined = false;
  private updated = false;
  private removed = false;
  private timingOut = false;

  /** Internal: points this wrapper at a key's state before each call. */
  wrap(defined: boolean, value: S | undefined, timingOut: boolean): void {
    this.defined = defined;
    this.value = value;
    this.updated = false;
    this.removed = false;
    this.timingOut = timingOut;
  }

  exists(): boolean {
    return this.defined;
  }

  get(): S {
    if (!this.defined)
      throw new EngineError('SLUICE_ENGINE_STATE', 'State is not set', 'check exists() first');
    return this.value as S;
  }

  getOption(): S | undefined {
    return this.defined ? this.value : undefined;
  }

  update(value: S): void {
    if (this.removed)
      throw new EngineError('SLUICE_ENGINE_STATE', 'Cannot update the state after it has been removed');
    if (this.timingOut)
      throw new EngineError('SLUICE_ENGINE_STATE', 'Cannot update the state that is timing out');
    this.value = value;
    this.defined = true;
    this.updated = true;
  }

  remove(): void {
    if (this.timingOut)
      throw new EngineError('SLUICE_ENGINE_STATE', 'Cannot remove the state that is timing out');
    if (this.removed)
      throw new EngineError('SLUICE_ENGINE_STATE', 'Cannot remove the state that has already been removed');
    this.removed = true;
    this.updated = false;
    this.defined = false;
    this.value = undefined;
  }

  isTimingOut(): boolean {
    return this.timingOut;
  }

  isUpdated(): boolean {
    return this.updated;
  }

  isRemoved(): boolean {
    return this.removed;
  }
}
