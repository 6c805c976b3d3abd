// An alert rule as the engine runs it: the condition compiled once (CEL over a record's values), the durations
// in milliseconds, and the notification records it produces. Pure: no I/O, no clock.
import {
  compileFilter,
  evaluateFilter,
  type CompiledFilter,
  type CompileResult,
} from '../expressions/index.js';
import { celEnvironment } from '../expressions/environment.js';

export type Severity = 'info' | 'warning' | 'critical';

/** What an alert rule reads per key: the values its conditions see, at the record's time. */
export interface AlertInput {
  /** The record's time, epoch ms: a window result's windowEnd, a raw record's event time. */
  timeMs: number;
  /** The fields the conditions read by name (a window's aggregates, a raw record's payload fields). */
  values: Readonly<Record<string, unknown>>;
}

/** A rule, as given to alertRule(). A rule has a condition (`when`) or an absence (`absentMs`), not both. */
export interface AlertRuleSpec {
  /** The rule's id: names its checkpoint (`alert/<id>` by convention) and is `alert` in its notifications. */
  id: string;
  /** Gateway id, part of every notification id. */
  gateway: string;
  /** CEL condition over the values, e.g. `temp_max > 40.0`. */
  when?: string;
  /** CEL condition that resolves a firing alert (hysteresis). Default: `when` is false. */
  clear?: string;
  /** How long `when` must hold (record time) before the alert fires. Default: 0 (fires at once). */
  forMs?: number;
  /** Re-notify a firing alert this often (record time for `when`, batch time for `absent`). Default: never. */
  repeatMs?: number;
  /** Fires when a key that was seen sends nothing for this long (batch time). Default: not an absence rule. */
  absentMs?: number;
  /** Default: warning. */
  severity?: Severity;
  /** Copied into every notification. Default: none. */
  labels?: Readonly<Record<string, string>>;
  /** Named in evaluation errors and in the CEL variable `receiver`. Default: the rule id. */
  source?: string;
}

/**
 * One notification: on firing, on every repeat while firing, and on resolve. The id is deterministic,
 * `<gateway>/<alert>/<key>/<startsAt>/<status>` (a repeat adds `/<its time>`), so a replay after a crash
 * gives the same ids.
 */
export interface AlertNotification {
  id: string;
  alert: string;
  status: 'firing' | 'resolved';
  severity: Severity;
  key: string;
  labels: Record<string, string>;
  /** The values that caused the transition (for absence: the last values seen). */
  values: Record<string, unknown>;
  /** When the alert fired, epoch ms. */
  startsAt: number;
  /** When it resolved, epoch ms (resolved notifications only). */
  endsAt?: number;
  gateway: string;
}

/** A condition evaluated on one input: true, false, or why it could not be decided. */
export type ConditionResult = { ok: true; value: boolean } | { ok: false; message: string };

export interface CompiledCondition {
  readonly source: string;
  evaluate(input: AlertInput, key: string): ConditionResult;
}

/** Compiles a `when`/`clear` condition; the values are CEL variables by name (and `record.<name>`). */
export function compileCondition(source: string, origin: string): CompileResult<CompiledCondition> {
  const compiled = compileFilter(source);
  if (!compiled.ok) return compiled;
  const filter: CompiledFilter = compiled.value;
  return {
    ok: true,
    value: {
      source,
      evaluate: (input) => {
        const result = evaluateFilter(filter, {
          fields: input.values,
          topic: '',
          topicParts: [],
          receiver: origin,
          ts: input.timeMs,
        });
        return result.ok ? { ok: true, value: result.keep } : { ok: false, message: result.message };
      },
    },
  };
}

/** An identifier a condition reads as a variable, and where it starts in the source. */
export interface ConditionName {
  name: string;
  offset: number;
}

const MACROS = new Set(['exists', 'all', 'exists_one', 'map', 'filter']);

/**
 * The variables a condition reads (not functions, fields selected with `.`, or a macro's bound variable), in
 * source order: config checks them against the names a pipeline's window results have. Empty when the source
 * does not parse (compileCondition reports that).
 */
export function conditionNames(source: string): ConditionName[] {
  let ast: unknown;
  try {
    ast = (celEnvironment.parse(source) as unknown as { ast: unknown }).ast;
  } catch {
    return [];
  }
  const out: ConditionName[] = [];
  const visit = (node: unknown, bound: ReadonlySet<string>): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child, bound);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const { op, args, start } = node as { op?: unknown; args?: unknown; start?: unknown };
    if (op === 'id' && typeof args === 'string') {
      if (!bound.has(args)) out.push({ name: args, offset: typeof start === 'number' ? start : 0 });
      return;
    }
    if (op === 'rcall' && Array.isArray(args) && MACROS.has(args[0] as string) && Array.isArray(args[2])) {
      const [variable, ...rest] = args[2] as unknown[];
      const name = (variable as { op?: unknown; args?: unknown } | undefined)?.args;
      visit(args[1], bound);
      visit(rest, typeof name === 'string' ? new Set([...bound, name]) : bound);
      return;
    }
    if (op === '.' && Array.isArray(args)) {
      visit(args[0], bound); // the selected field name is not a variable
      return;
    }
    if (args !== undefined) visit(args, bound);
  };
  visit(ast, new Set());
  return out;
}
