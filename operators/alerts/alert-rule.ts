// alertRule: a per-key state machine over a keyed stream (inactive → pending → firing → resolved) that emits
// notification records. Conditions run on record time (a window's end), absence on batch time. The state is
// checkpointed through OperatorState, so a restart neither re-fires nor forgets a firing alert.
import type { DStream, OperatorState } from '../dstream.js';
import { EngineError } from '../engine-error.js';
import {
  compileCondition,
  type AlertInput,
  type AlertNotification,
  type AlertRuleSpec,
  type CompiledCondition,
  type Severity,
} from './rule.js';

export interface AlertRuleOptions {
  /** Called when a condition cannot be evaluated on a record (a missing or null value): the record changes
   * nothing. Default: ignored. */
  onError?: (key: string, message: string, input: AlertInput) => void;
}

/** A condition rule's key: pending since `since`, or firing since `startsAt`. Absent keys are inactive. */
interface ConditionState {
  phase: 'pending' | 'firing';
  since: number;
  startsAt: number;
  notifiedAt: number;
  lastMs: number;
}

/** An absence rule's key: when it was last seen, its last values, and the firing alert if any. */
interface AbsenceState {
  lastSeen: number;
  values: Record<string, unknown>;
  startsAt: number | null;
  notifiedAt: number;
}

interface Snapshot {
  conditions: [string, ConditionState][];
  absences: [string, AbsenceState][];
}

/** The stream of notifications of one rule over a keyed stream of values. Name it (`.named('alert/<id>')`). */
export function alertRule(
  parent: DStream<readonly [string, AlertInput]>,
  rule: AlertRuleSpec,
  options: AlertRuleOptions = {},
): DStream<AlertNotification> {
  const hasWhen = rule.when !== undefined;
  const hasAbsent = rule.absentMs !== undefined;
  if (hasWhen === hasAbsent) {
    throw new EngineError(
      'SLUICE_ENGINE_LIFECYCLE',
      `alert ${rule.id}: give either a condition (when) or an absence (absent), not ${hasWhen ? 'both' : 'neither'}`,
    );
  }
  const origin = rule.source ?? rule.id;
  const when = rule.when === undefined ? undefined : mustCompile(rule.when, origin, rule.id);
  const clear = rule.clear === undefined ? undefined : mustCompile(rule.clear, origin, rule.id);
  const forMs = rule.forMs ?? 0;
  const repeatMs = rule.repeatMs;
  const severity: Severity = rule.severity ?? 'warning';
  const labels = { ...(rule.labels ?? {}) };
  const onError = options.onError ?? (() => undefined);

  let conditions = new Map<string, ConditionState>();
  let absences = new Map<string, AbsenceState>();

  const notify = (
    out: AlertNotification[],
    status: 'firing' | 'resolved',
    key: string,
    startsAt: number,
    values: Readonly<Record<string, unknown>>,
    atMs: number,
    repeat = false,
  ): void => {
    const base = `${rule.gateway}/${rule.id}/${key}/${startsAt}/${status}`;
    out.push({
      id: repeat ? `${base}/${atMs}` : base,
      alert: rule.id,
      status,
      severity,
      key,
      labels: { ...labels },
      values: { ...values },
      startsAt,
      ...(status === 'resolved' ? { endsAt: atMs } : {}),
      gateway: rule.gateway,
    });
  };

  const evaluate = (condition: CompiledCondition, key: string, input: AlertInput): boolean | undefined => {
    const result = condition.evaluate(input, key);
    if (result.ok) return result.value;
    onError(key, `${condition.source}: ${result.message}`, input);
    return undefined;
  };

  const onCondition = (out: AlertNotification[], key: string, input: AlertInput): void => {
    if (when === undefined) return;
    const t = input.timeMs;
    const state = conditions.get(key);
    if (state !== undefined && t < state.lastMs) return; // older than what the key already decided on
    if (state === undefined || state.phase === 'pending') {
      const holds = evaluate(when, key, input);
      if (holds === undefined) return;
      if (!holds) {
        conditions.delete(key);
        return;
      }
      const since = state?.since ?? t;
      if (t - since >= forMs) {
        conditions.set(key, { phase: 'firing', since, startsAt: t, notifiedAt: t, lastMs: t });
        notify(out, 'firing', key, t, input.values, t);
      } else {
        conditions.set(key, { phase: 'pending', since, startsAt: 0, notifiedAt: 0, lastMs: t });
      }
      return;
    }
    // Firing: resolve on `clear` (or on `when` turning false), else maybe repeat.
    let cleared: boolean | undefined;
    if (clear !== undefined) cleared = evaluate(clear, key, input);
    else {
      const holds = evaluate(when, key, input);
      cleared = holds === undefined ? undefined : !holds;
    }
    if (cleared === undefined) return;
    if (cleared) {
      conditions.delete(key);
      notify(out, 'resolved', key, state.startsAt, input.values, t);
      return;
    }
    state.lastMs = t;
    if (repeatMs !== undefined && t - state.notifiedAt >= repeatMs) {
      state.notifiedAt = t;
      notify(out, 'firing', key, state.startsAt, input.values, t, true);
    }
  };

  const onAbsence = (
    out: AlertNotification[],
    items: readonly (readonly [string, AlertInput])[],
    t: number,
  ) => {
    const absentMs = rule.absentMs;
    if (absentMs === undefined) return;
    const seen = new Set<string>();
    for (const [key, input] of items) {
      seen.add(key);
      const state = absences.get(key);
      if (state !== undefined && state.startsAt !== null) {
        notify(out, 'resolved', key, state.startsAt, input.values, t);
      }
      absences.set(key, { lastSeen: t, values: { ...input.values }, startsAt: null, notifiedAt: 0 });
    }
    for (const [key, state] of absences) {
      if (seen.has(key)) continue;
      if (state.startsAt === null) {
        if (t - state.lastSeen >= absentMs) {
          state.startsAt = t;
          state.notifiedAt = t;
          notify(out, 'firing', key, t, state.values, t);
        }
      } else if (repeatMs !== undefined && t - state.notifiedAt >= repeatMs) {
        state.notifiedAt = t;
        notify(out, 'firing', key, state.startsAt, state.values, t, true);
      }
    }
  };

  const compute = (t: number): AlertNotification[] | null => {
    const batch = parent.getOrCompute(t);
    if (batch === null) return null;
    const out: AlertNotification[] = [];
    if (hasAbsent) {
      onAbsence(out, batch, t);
      return out;
    }
    // Record time decides, so a batch's records are taken in time order (a stable sort keeps ties in order).
    const ordered = [...batch].sort((a, b) => a[1].timeMs - b[1].timeMs);
    for (const [key, input] of ordered) onCondition(out, key, input);
    return out;
  };

  const state: OperatorState = {
    signature: `alertRule(${JSON.stringify({
      when: rule.when ?? null,
      clear: rule.clear ?? null,
      forMs,
      repeatMs: repeatMs ?? null,
      absentMs: rule.absentMs ?? null,
    })})`,
    snapshot: (): Snapshot => ({
      conditions: [...conditions].map(([k, s]) => [k, { ...s }]),
      absences: [...absences].map(([k, s]) => [k, { ...s, values: { ...s.values } }]),
    }),
    restore: (saved) => {
      const snap = saved as Partial<Snapshot> | null;
      if (
        snap === null ||
        typeof snap !== 'object' ||
        !Array.isArray(snap.conditions) ||
        !Array.isArray(snap.absences)
      ) {
        throw new EngineError('SLUICE_ENGINE_CHECKPOINT', `alert ${rule.id}: snapshot is malformed`);
      }
      conditions = new Map(snap.conditions.map(([k, s]) => [k, { ...s }]));
      absences = new Map(snap.absences.map(([k, s]) => [k, { ...s }]));
    },
  };
  return parent.derive<AlertNotification>('alertRule', compute, { state });
}

function mustCompile(source: string, origin: string, id: string): CompiledCondition {
  const compiled = compileCondition(source, origin);
  if (compiled.ok) return compiled.value;
  throw new EngineError(
    'SLUICE_ENGINE_LIFECYCLE',
    `alert ${id}: ${compiled.error.message}`,
    compiled.error.hint,
  );
}
