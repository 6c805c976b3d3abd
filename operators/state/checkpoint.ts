// Checkpoint: every stateful stream's snapshot keyed by its stable name, with the batch time it belongs to.
// Restoring into a freshly built graph resumes after that batch as if the run had never stopped.
import type { DStream } from '../dstream.js';
import { EngineError } from '../engine-error.js';

export interface Checkpoint {
  /** Format version of this structure. */
  version: 1;
  batchIntervalMs: number;
  zeroTimeMs: number;
  /** The last batch whose effects the states include. */
  batchTimeMs: number;
  /** Stream name → that stream's JSON snapshot and the signature of the operator that took it. */
  operators: Record<string, OperatorSnapshot>;
}

export interface OperatorSnapshot {
  signature: string;
  state: unknown;
}

export interface RestoreReport {
  /** Streams whose state came from the checkpoint. */
  restored: string[];
  /** Stateful streams the checkpoint has nothing for: they start empty. */
  fresh: string[];
  /** Streams whose checkpointed state was taken by a different operator (say, another window length): they
   * start empty, and the old state is ignored. */
  incompatible: string[];
  /** Checkpointed states no stream of this graph is named for (a removed or renamed operator). */
  orphaned: string[];
}

export function takeCheckpoint(
  streams: readonly DStream<unknown>[],
  batchIntervalMs: number,
  zeroTimeMs: number,
  batchTimeMs: number,
): Checkpoint {
  const operators: Record<string, OperatorSnapshot> = {};
  for (const s of streams)
    if (s.state !== undefined) {
      operators[s.name] = { signature: s.state.signature, state: s.state.snapshot() };
    }
  return { version: 1, batchIntervalMs, zeroTimeMs, batchTimeMs, operators };
}

export function restoreCheckpoint(
  streams: readonly DStream<unknown>[],
  batchIntervalMs: number,
  checkpoint: Checkpoint,
): RestoreReport {
  if ((checkpoint.version as number) !== 1) {
    throw new EngineError(
      'SLUICE_ENGINE_CHECKPOINT',
      `unknown checkpoint version ${String(checkpoint.version)}`,
    );
  }
  if (checkpoint.batchIntervalMs !== batchIntervalMs) {
    throw new EngineError(
      'SLUICE_ENGINE_CHECKPOINT',
      `the checkpoint was taken with a ${checkpoint.batchIntervalMs} ms batch interval, this context has ${batchIntervalMs} ms`,
      'keep the batch interval, or start from an empty state directory',
    );
  }
  const report: RestoreReport = { restored: [], fresh: [], incompatible: [], orphaned: [] };
  const claimed = new Set<string>();
  for (const s of streams) {
    s.resumeAfter(checkpoint.batchTimeMs);
    if (s.state === undefined) continue;
    const saved = Object.hasOwn(checkpoint.operators, s.name) ? checkpoint.operators[s.name] : undefined;
    if (saved !== undefined) {
      claimed.add(s.name);
      if (saved.signature === s.state.signature) {
        s.state.restore(saved.state);
        report.restored.push(s.name);
      } else {
        report.incompatible.push(s.name);
      }
    } else {
      report.fresh.push(s.name);
    }
  }
  for (const name of Object.keys(checkpoint.operators)) if (!claimed.has(name)) report.orphaned.push(name);
  return report;
}
