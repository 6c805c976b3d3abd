// alertRule: a per-key state machine over a keyed stream (inactive → pending → firing → resolved) that emits
// notification records. Conditions run on record time (a window's end), absence on batch time. The state is
// checkpointed through OperatorState, so a restart neither re-fires nor forgets a firing alert. A silence (an
// injected lookup) mutes notifications, never the state machine; muted ones are counted and kept in the history.
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
  /** Whether a key's notifications are silenced at batch time `atMs` (a pure lookup: a replay of the same batch
   * must get the same answer). A silenced firing or repeat is not emitted but counted and kept in the history;
   * a resolve is emitted exactly when its firing notification was; a firing alert whose notification was
   * silenced is notified in the first batch after the silence ends. Default: nothing is silenced. */
  silenced?: (key: string, atMs: number) => boolean;
  /** Transitions kept in the rule's history (and its checkpoint), newest last. Default: 50. */
  historyKept?: number;
  /** Called with each history entry as its batch is computed (before the batch commits). Default: none. */
  onTransition?: (entry: AlertHistoryEntry) => void;
  /** Receives the rule's read-only view once, when the rule is built (for status and the API). Default: none. */
  expose?: (view: AlertRuleView) => void;
}

/** One notification the rule decided on, sent or silenced. */
export interface AlertHistoryEntry {
  /** The notification's id (as it went, or would have gone, to the sinks). */
  id: string;
  alert: string;
  key: string;
  status: 'firing' | 'resolved';
  /** transition: fired or resolved; repeat: re-notified while firing; silence-ended: fired while silenced,
   * notified when the silence ended. */
  reason: 'transition' | 'repeat' | 'silence-ended';
  /** True when the notification was not sent (silenced). */
  silenced: boolean;
  /** Batch time of the decision, epoch ms. */
  atMs: number;
  startsAt: number;
  endsAt?: number;
  values: Record<string, unknown>;
}

/** A key with a live alert: pending (its condition holds, `for` not yet over) or firing. */
export interface AlertInstance {
  key: string;
  state: 'pending' | 'firing';
  /** When the condition started holding (pending), or when the alert fired (firing), epoch ms. */
  sinceMs: number;
  /** The values of the last record that decided (for absence: the last values seen). */
  values: Record<string, unknown>;
  /** Firing only: whether its firing notification went out (false while silenced). */
  notified: boolean;
  /** Notifications silenced for this instance. */
  suppressed: number;
}

export interface AlertRuleView {
  /** Pending and firing keys now. */
  instances(): AlertInstance[];
  /** The latest history entries, oldest first (at most historyKept). */
  history(): readonly AlertHistoryEntry[];
  /** Notifications silenced since the rule's state began (checkpointed). */
  suppressed(): number;
}

/** A condition rule's key: pending since `since`, or firing since `startsAt`. Absent keys are inactive. */
interface ConditionState {
  phase: 'pending' | 'firing';
  since: number;
  startsAt: number;
  notifiedAt: number;
  lastMs: number;
  /** The input's values, not a copy (inputs are not changed after they are made). */
  values: Readonly<Record<string, unknown>>;
  /** Whether the firing notification went out. */
  delivered: boolean;
  suppressed: number;
}

/** An absence rule's key: when it was last seen, its last values, and the firing alert if any. */
interface AbsenceState {
  lastSeen: number;
  values: Record<string, unknown>;
  startsAt: number | null;
  notifiedAt: number;
  delivered: boolean;
  suppressed: number;
}

/** What both kinds of state share for notifying. */
interface Notified {
  delivered: boolean;
  suppressed: number;
}

interface Snapshot {
  conditions: [string, ConditionState][];
  absences: [string, AbsenceState][];
  /** Since silences: absent in older checkpoints. */
  history?: AlertHistoryEntry[];
  suppressed?: number;
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

  const isSilenced = options.silenced ?? (() => false);
  const historyKept = options.historyKept ?? 50;
  let history: AlertHistoryEntry[] = [];
  let suppressedTotal = 0;
  /** Firing keys whose notification was silenced: each batch checks whether their silence ended. */
  let undelivered = new Set<string>();

  /** Decides one notification at batch time t: sent (into out) or silenced; recorded in the history. */
  const notify = (
    out: AlertNotification[],
    t: number,
    reason: AlertHistoryEntry['reason'],
    status: 'firing' | 'resolved',
    key: string,
    startsAt: number,
    values: Readonly<Record<string, unknown>>,
    atMs: number,
    instance: Notified,
  ): void => {
    const base = `${rule.gateway}/${rule.id}/${key}/${startsAt}/${status}`;
    const id = reason === 'repeat' ? `${base}/${atMs}` : base;
    // A resolve closes what a receiver was told: it goes out exactly when the firing notification did.
    const silenced = status === 'resolved' ? !instance.delivered : isSilenced(key, t);
    const endsAt = status === 'resolved' ? { endsAt: atMs } : {};
    if (silenced) {
      instance.suppressed++;
      suppressedTotal++;
      if (status === 'firing' && !instance.delivered) undelivered.add(key);
    } else {
      if (status === 'firing') instance.delivered = true;
      undelivered.delete(key);
      out.push({
        id,
        alert: rule.id,
        status,
        severity,
        key,
        labels: { ...labels },
        values: { ...values },
        startsAt,
        ...endsAt,
        gateway: rule.gateway,
      });
    }
    if (status === 'resolved') undelivered.delete(key);
    const entry: AlertHistoryEntry = {
      id,
      alert: rule.id,
      key,
      status,
      reason,
      silenced,
      atMs: t,
      startsAt,
      ...endsAt,
      values: { ...values },
    };
    history.push(entry);
    if (history.length > historyKept) history.splice(0, history.length - historyKept);
    options.onTransition?.(entry);
  };

  /** Firing alerts whose notification a silence held back: notified once the silence is over. */
  const catchUp = (out: AlertNotification[], t: number): void => {
    for (const key of [...undelivered]) {
      const c = conditions.get(key);
      const a = absences.get(key);
      if (c?.phase === 'firing' && !c.delivered) {
        if (!isSilenced(key, t)) notify(out, t, 'silence-ended', 'firing', key, c.startsAt, c.values, t, c);
      } else if (a !== undefined && a.startsAt !== null && !a.delivered) {
        if (!isSilenced(key, t)) notify(out, t, 'silence-ended', 'firing', key, a.startsAt, a.values, t, a);
      } else {
        undelivered.delete(key);
      }
    }
  };

  const evaluate = (condition: CompiledCondition, key: string, input: AlertInput): boolean | undefined => {
    const result = condition.evaluate(input, key);
    if (result.ok) return result.value;
    onError(key, `${condition.source}: ${result.message}`, input);
    return undefined;
  };

  const onCondition = (out: AlertNotification[], bt: number, key: string, input: AlertInput): void => {
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
      const values = input.values;
      if (t - since >= forMs) {
        const next: ConditionState = {
          phase: 'firing',
          since,
          startsAt: t,
          notifiedAt: t,
          lastMs: t,
          values,
          delivered: false,
          suppressed: 0,
        };
        conditions.set(key, next);
        notify(out, bt, 'transition', 'firing', key, t, input.values, t, next);
      } else {
        conditions.set(key, {
          phase: 'pending',
          since,
          startsAt: 0,
          notifiedAt: 0,
          lastMs: t,
          values,
          delivered: false,
          suppressed: 0,
        });
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
      notify(out, bt, 'transition', 'resolved', key, state.startsAt, input.values, t, state);
      return;
    }
    state.lastMs = t;
    state.values = input.values;
    if (repeatMs !== undefined && t - state.notifiedAt >= repeatMs) {
      state.notifiedAt = t;
      notify(out, bt, 'repeat', 'firing', key, state.startsAt, input.values, t, state);
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
        notify(out, t, 'transition', 'resolved', key, state.startsAt, input.values, t, state);
      }
      absences.set(key, {
        lastSeen: t,
        values: { ...input.values },
        startsAt: null,
        notifiedAt: 0,
        delivered: false,
        suppressed: 0,
      });
    }
    for (const [key, state] of absences) {
      if (seen.has(key)) continue;
      if (state.startsAt === null) {
        if (t - state.lastSeen >= absentMs) {
          state.startsAt = t;
          state.notifiedAt = t;
          state.delivered = false;
          notify(out, t, 'transition', 'firing', key, t, state.values, t, state);
        }
      } else if (repeatMs !== undefined && t - state.notifiedAt >= repeatMs) {
        state.notifiedAt = t;
        notify(out, t, 'repeat', 'firing', key, state.startsAt, state.values, t, state);
      }
    }
  };

  const compute = (t: number): AlertNotification[] | null => {
    const batch = parent.getOrCompute(t);
    if (batch === null) return null;
    const out: AlertNotification[] = [];
    if (undelivered.size > 0) catchUp(out, t);
    if (hasAbsent) {
      onAbsence(out, batch, t);
      return out;
    }
    // Record time decides, so a batch's records are taken in time order (a stable sort keeps ties in order).
    const ordered = [...batch].sort((a, b) => a[1].timeMs - b[1].timeMs);
    for (const [key, input] of ordered) onCondition(out, t, key, input);
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
      conditions: [...conditions].map(([k, s]) => [k, { ...s, values: { ...s.values } }]),
      absences: [...absences].map(([k, s]) => [k, { ...s, values: { ...s.values } }]),
      history: history.map((e) => ({ ...e })),
      suppressed: suppressedTotal,
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
      // Checkpoints from before silences lack these fields: everything in them was notified.
      const known = { values: {}, delivered: true, suppressed: 0 };
      conditions = new Map(snap.conditions.map(([k, s]) => [k, { ...known, ...s }]));
      absences = new Map(snap.absences.map(([k, s]) => [k, { ...known, ...s }]));
      history = Array.isArray(snap.history) ? snap.history.slice(-historyKept) : [];
      suppressedTotal = typeof snap.suppressed === 'number' ? snap.suppressed : 0;
      undelivered = new Set(
        [
          ...[...conditions].filter(([, s]) => s.phase === 'firing' && !s.delivered),
          ...[...absences].filter(([, s]) => s.startsAt !== null && !s.delivered),
        ].map(([k]) => k),
      );
    },
  };
  options.expose?.({
    instances: () => [
      ...[...conditions].map(([key, s]): AlertInstance => ({
        key,
        state: s.phase,
        sinceMs: s.phase === 'firing' ? s.startsAt : s.since,
        values: { ...s.values },
        notified: s.phase === 'firing' && s.delivered,
        suppressed: s.suppressed,
      })),
      ...[...absences].flatMap(([key, s]): AlertInstance[] =>
        s.startsAt === null
          ? []
          : [
              {
                key,
                state: 'firing',
                sinceMs: s.startsAt,
                values: { ...s.values },
                notified: s.delivered,
                suppressed: s.suppressed,
              },
            ],
      ),
    ],
    history: () => history,
    suppressed: () => suppressedTotal,
  });
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
