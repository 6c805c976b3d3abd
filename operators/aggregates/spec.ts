// What an aggregate output is asked to compute, written as an object ({ fn: 'avg', field: 'temp' }) or as text
// (`avg(temp)`, the form YAML pipelines use), with errors that quote the bad text and list the valid functions.

import { describeValue } from './aggregate.js';
import { NUMERIC_FNS, type NumericFn } from './kernels.js';

export const QUANTILE_FNS = ['p50', 'p95', 'p99', 'quantile'] as const;
export type QuantileFn = (typeof QUANTILE_FNS)[number];
export type AggregateFn = NumericFn | QuantileFn;
export const AGGREGATE_FNS: readonly AggregateFn[] = [...NUMERIC_FNS, ...QUANTILE_FNS];

/** The q of the named quantiles. */
export const NAMED_QUANTILES: Readonly<Record<Exclude<QuantileFn, 'quantile'>, number>> = {
  p50: 0.5,
  p95: 0.95,
  p99: 0.99,
};

/**
 * One aggregate output. `field` names the record field it reads: required by every function but `count`,
 * for which it is optional (`count()` counts records, `count(temp)` counts records with a numeric temp).
 * `q` (0 ≤ q ≤ 1) is required by `quantile` and allowed nowhere else.
 */
export interface AggregateSpec {
  readonly fn: AggregateFn;
  readonly field?: string;
  readonly q?: number;
}

const VALID = `valid functions: count(), count(field), ${AGGREGATE_FNS.filter(
  (f) => f !== 'count' && f !== 'quantile',
)
  .map((f) => `${f}(field)`)
  .join(', ')}, quantile(field, q)`;

// Names people reach for, and what this module calls them.
const ALIASES: Readonly<Record<string, string>> = {
  mean: 'avg',
  average: 'avg',
  std: 'stddev',
  stdev: 'stddev',
  stddev_samp: 'stddev',
  median: 'p50',
  percentile: 'quantile',
  minimum: 'min',
  maximum: 'max',
  total: 'sum',
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SHAPE = /^\s*([^\s(]+)\s*\((.*)\)\s*$/s;

const isFn = (name: string): name is AggregateFn => (AGGREGATE_FNS as readonly string[]).includes(name);

/** The text form of a spec: `count()`, `avg(temp)`, `quantile(temp, 0.9)`; odd field names are JSON-quoted. */
export function formatAggregate(spec: AggregateSpec): string {
  const field =
    spec.field === undefined ? '' : IDENTIFIER.test(spec.field) ? spec.field : JSON.stringify(spec.field);
  return spec.fn === 'quantile' ? `quantile(${field}, ${String(spec.q)})` : `${spec.fn}(${field})`;
}

// Splits "a, b" at top-level commas, keeping commas inside double-quoted names; undefined on an open quote.
function splitArgs(body: string): string[] | undefined {
  const args: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charAt(i);
    if (quoted && c === '\\') {
      current += c + body.charAt(i + 1);
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      args.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  if (quoted) return undefined;
  args.push(current.trim());
  return args.length === 1 && args[0] === '' ? [] : args;
}

function parseField(raw: string, text: string): string {
  if (IDENTIFIER.test(raw)) return raw;
  if (raw.startsWith('"')) {
    try {
      const name: unknown = JSON.parse(raw);
      if (typeof name === 'string' && name !== '') return name;
    } catch {
      // reported below
    }
  }
  throw new Error(
    `invalid field ${JSON.stringify(raw)} in aggregate "${text}": write a name like temp, or a quoted name like "temp 1"`,
  );
}

/**
 * Parses the text form: `count()`, `count(temp)`, `avg(temp)`, `p95(temp)`, `quantile(temp, 0.9)`,
 * `avg("temp 1")`. Throws an Error that quotes the text and says what to write instead.
 */
export function parseAggregate(text: string): AggregateSpec {
  const shape = SHAPE.exec(text);
  const args = shape === null ? undefined : splitArgs(shape[2] ?? '');
  if (shape === null || args === undefined) {
    throw new Error(
      `cannot parse aggregate "${text}": expected fn(field), e.g. avg(temp), count() or quantile(temp, 0.9); ${VALID}`,
    );
  }
  const name = shape[1] ?? '';
  if (!isFn(name)) {
    const alias = ALIASES[name.toLowerCase()] ?? (isFn(name.toLowerCase()) ? name.toLowerCase() : undefined);
    const hint = alias === undefined ? '' : ` (did you mean ${alias}?)`;
    throw new Error(`unknown aggregate function "${name}" in "${text}"${hint}; ${VALID}`);
  }
  if (name === 'quantile') {
    const [rawField, rawQ] = args;
    if (args.length !== 2 || rawField === undefined || rawQ === undefined || rawField === '') {
      throw new Error(`quantile takes a field and a quantile in "${text}", e.g. quantile(temp, 0.9)`);
    }
    const field = parseField(rawField, text);
    const q = /^[0-9.eE+-]+$/.test(rawQ) ? Number(rawQ) : NaN;
    if (!(q >= 0 && q <= 1)) {
      throw new Error(`quantile in "${text}" must be a number between 0 and 1, e.g. 0.9; got "${rawQ}"`);
    }
    return { fn: name, field, q };
  }
  if (args.length === 0) {
    if (name === 'count') return { fn: name };
    throw new Error(`${name} needs a field in "${text}", e.g. ${name}(temp)`);
  }
  const [rawField] = args;
  if (args.length > 1 || rawField === undefined || rawField === '') {
    const example = name === 'count' ? 'count() or count(temp)' : `${name}(temp)`;
    throw new Error(
      `${name} takes ${name === 'count' ? 'at most ' : ''}one field in "${text}", e.g. ${example}`,
    );
  }
  return { fn: name, field: parseField(rawField, text) };
}

const SPEC_KEYS = new Set(['fn', 'field', 'q']);

/**
 * Validates one output's spec, text or object (as it comes from a YAML or JSON config), and returns it as an
 * object. Errors start with `aggregate "<output name>":`.
 */
export function toAggregateSpec(name: string, spec: unknown): AggregateSpec {
  const where = `aggregate "${name}"`;
  if (typeof spec === 'string') {
    try {
      return parseAggregate(spec);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new Error(
      `${where}: expected a text like avg(temp) or an object like { fn: 'avg', field: 'temp' }, got ${describeValue(spec)}`,
    );
  }
  const o = spec as Record<string, unknown>;
  const unknownKey = Object.keys(o).find((k) => !SPEC_KEYS.has(k));
  if (unknownKey !== undefined) {
    throw new Error(`${where}: unknown key "${unknownKey}"; an aggregate has fn, field and (for quantile) q`);
  }
  const { fn, field, q } = o;
  if (typeof fn !== 'string' || !isFn(fn)) {
    throw new Error(`${where}: unknown function ${describeValue(fn)}; ${VALID}`);
  }
  if (field === undefined) {
    if (fn !== 'count') throw new Error(`${where}: ${fn} needs a field, e.g. { fn: '${fn}', field: 'temp' }`);
  } else if (typeof field !== 'string' || field === '') {
    throw new Error(`${where}: field must be a non-empty string, got ${describeValue(field)}`);
  }
  if (fn !== 'quantile') {
    if (q !== undefined) throw new Error(`${where}: q is only for quantile, not ${fn}`);
    return typeof field === 'string' ? { fn, field } : { fn };
  }
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) {
    throw new Error(
      `${where}: quantile needs q between 0 and 1, e.g. { fn: 'quantile', field: 'temp', q: 0.9 }`,
    );
  }
  return { fn, field: String(field), q };
}
