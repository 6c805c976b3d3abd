// Compiles named aggregate outputs ({ n: 'count()', temp_avg: 'avg(temp)', temp_p95: 'p95(temp)' }) into ONE
// aggregate over records, whose state is lean enough to keep per live key per window on a gateway.
//
// State layout: every numeric partial in one packed double array (count()/avg(temp)/max(temp) take 4 slots,
// ~80 bytes); quantile sketches exist only when a quantile is asked for, one per field, shared by all the
// quantiles of that field, and created on the field's first value. Outputs with the same text share slots.

import { describeValue, type Aggregate, type Json } from './aggregate.js';
import { toFiniteNumber } from './field-value.js';
import { KERNELS, type Cells, type Kernel, type ReadonlyCells } from './kernels.js';
import { kernelFromJSON, kernelToJSON, packedDoubles } from './numeric.js';
import { resultLiteral, unrolledKernels } from './unrolled.js';
import {
  checkRelativeAccuracy,
  sketchAdd,
  sketchFromJSON,
  sketchMerge,
  sketchQuantile,
  sketchToJSON,
  type QuantileState,
} from './quantile.js';
import { formatAggregate, NAMED_QUANTILES, toAggregateSpec, type AggregateSpec } from './spec.js';

export interface AggregateSetOptions {
  /** Relative accuracy of the quantile sketches, in (0, 1). Default 0.01 (within 1%, see quantile.ts). */
  readonly relativeAccuracy?: number;
}

declare const opaque: unique symbol;
/** The partial state of every output for one key in one window or pane. Opaque: use the set's methods. */
export interface AggregateSetState {
  readonly [opaque]: 'AggregateSetState';
}

/** A record's fields by name; the event timestamp is passed to `add` beside it. */
export type AggregateInput = Readonly<Record<string, unknown>>;
export type AggregateResult = Record<string, number | null>;

/**
 * One aggregate computing every output of a spec. Inputs are records: `count()` counts every record; every
 * other output reads its field and skips the record when the value is not a finite number or a decimal
 * numeric string (see toFiniteNumber). `result` maps each output name, in spec order, to its value.
 *
 * JSON: `{ v: 1, values: { "<output text>": [...slots] }, sketches: { "<field>": sketch | null } }`, keyed by
 * what is computed rather than by output name, so renaming an output keeps its state. `fromJSON` lets a
 * pipeline evolve: an output added since the checkpoint starts empty, state of a removed one is ignored;
 * anything present but malformed throws.
 */
export interface AggregateSet extends Aggregate<AggregateSetState, AggregateInput, AggregateResult> {
  readonly kind: 'set';
  /** The output names, in spec order. */
  readonly names: readonly string[];
  /** Each output's validated spec. */
  readonly specs: Readonly<Record<string, AggregateSpec>>;
  /** The same aggregate over fixed-width slots of a Float64Array, present when no output is a quantile (whose
   * sketch has no fixed width): windows use it to keep many keys' partials side by side, no object per key. */
  readonly columns: NumericColumns<AggregateInput, AggregateResult> | undefined;
}

/**
 * An aggregate whose partial is `width` numbers: `empty` is the identity; `add` folds an input (at event time
 * `ts`) into the slots at `o`; `merge` writes merge(a at oa, b at ob) at oo (`out` may be `a` or `b` at the same
 * offset), `a` holding the records that arrived first; `result` reads the slots at `o`.
 */
export interface NumericColumns<In, R> {
  readonly width: number;
  readonly empty: readonly number[];
  readonly add: (cells: Float64Array, o: number, input: In, ts: number) => void;
  readonly merge: ColumnMerge;
  readonly result: (cells: Float64Array, o: number) => R;
}

/** Merges the partials at a[oa…] and b[ob…] (a holding the older records) into out[oo…]. */
export type ColumnMerge = (
  out: Float64Array,
  oo: number,
  a: Float64Array,
  oa: number,
  b: Float64Array,
  ob: number,
) => void;

interface Sketched {
  readonly nums: number[];
  readonly sketches: QuantileState[];
}

// A numeric partial: its text, kernel, slot offset and the index of its field in `fields` (-1 for count()).
interface Slots {
  readonly text: string;
  readonly kernel: Kernel;
  readonly offset: number;
  readonly field: number;
}

type Output = { readonly name: string } & (
  { readonly slots: Slots; readonly sketch?: undefined } | { readonly sketch: number; readonly q: number }
);

/**
 * Compiles `spec` (output name → text or object, see AggregateSpec) into an AggregateSet. Throws an Error
 * naming the output and the fix when a spec is invalid.
 */
export function compileAggregateSet(
  spec: Readonly<Record<string, AggregateSpec | string>>,
  options: AggregateSetOptions = {},
): AggregateSet {
  const relativeAccuracy = checkRelativeAccuracy(options.relativeAccuracy);
  const names = Object.keys(spec);
  if (names.length === 0) {
    throw new Error(
      'an aggregate set needs at least one output, e.g. { n: "count()", temp_avg: "avg(temp)" }',
    );
  }
  const specs: Record<string, AggregateSpec> = {};
  const fields: string[] = [];
  const sketchFields: number[] = [];
  const slotsByText = new Map<string, Slots>();
  const outputs: Output[] = [];
  const fieldIndex = (field: string): number => {
    const i = fields.indexOf(field);
    return i >= 0 ? i : fields.push(field) - 1;
  };
  let width = 0;
  for (const name of names) {
    const s = toAggregateSpec(name, spec[name]);
    Object.defineProperty(specs, name, { value: s, enumerable: true });
    if (s.fn === 'p50' || s.fn === 'p95' || s.fn === 'p99' || s.fn === 'quantile') {
      const field = fieldIndex(s.field ?? '');
      const at = sketchFields.indexOf(field);
      const sketch = at >= 0 ? at : sketchFields.push(field) - 1;
      outputs.push({ name, sketch, q: s.fn === 'quantile' ? (s.q ?? NaN) : NAMED_QUANTILES[s.fn] });
      continue;
    }
    const text = formatAggregate(s);
    let slots = slotsByText.get(text);
    if (slots === undefined) {
      const kernel = KERNELS[s.fn];
      slots = { text, kernel, offset: width, field: s.field === undefined ? -1 : fieldIndex(s.field) };
      slotsByText.set(text, slots);
      width += kernel.width;
    }
    outputs.push({ name, slots });
  }
  const groups = [...slotsByText.values()];
  const empty = packedDoubles(groups.flatMap((g) => g.kernel.empty));
  const values = packedDoubles(fields.map(() => 0));
  const sketched = sketchFields.length > 0;
  const opaqueState = (s: number[] | Sketched): AggregateSetState => s as unknown as AggregateSetState;
  const numsOf = (s: AggregateSetState): number[] =>
    sketched ? (s as unknown as Sketched).nums : (s as unknown as number[]);
  const sketchesOf = (s: AggregateSetState): QuantileState[] => (s as unknown as Sketched).sketches;
  // Hot paths loop over flat arrays rather than objects: one kernel, offset and field per group, per output.
  const kernels = groups.map((g) => g.kernel);
  const offsets = groups.map((g) => g.offset);
  const groupFields = groups.map((g) => g.field);
  const fieldCount = fields.length;
  // Every result has the same keys in spec order: cloning a template keeps one object shape for all of them.
  const template: AggregateResult = Object.fromEntries(names.map((n) => [n, null]));
  const outNames: string[] = [];
  const outKernels: Kernel[] = [];
  const outOffsets: number[] = [];
  const sketchOutputs: { name: string; sketch: number; q: number }[] = [];
  for (const o of outputs) {
    if (o.sketch !== undefined) sketchOutputs.push(o);
    else {
      outNames.push(o.name);
      outKernels.push(o.slots.kernel);
      outOffsets.push(o.slots.offset);
    }
  }

  const readFields = (record: AggregateInput): void => {
    for (let f = 0; f < fieldCount; f++) values[f] = toFiniteNumber(record[fields[f] as string]);
  };
  const unrolled = unrolledKernels(kernels, offsets, groupFields, values);
  const addNumeric =
    unrolled?.add ??
    ((nums: Cells, o: number, ts: number): void => {
      for (let g = 0; g < kernels.length; g++) {
        const field = groupFields[g] as number;
        const v = field < 0 ? 0 : (values[field] as number);
        if (!Number.isNaN(v)) (kernels[g] as Kernel).add(nums, o + (offsets[g] as number), v, ts);
      }
    });
  const mergeNumeric =
    unrolled?.merge ??
    ((out: Cells, oo: number, a: ReadonlyCells, oa: number, b: ReadonlyCells, ob: number): void => {
      for (let g = 0; g < kernels.length; g++) {
        const at = offsets[g] as number;
        (kernels[g] as Kernel).merge(out, oo + at, a, oa + at, b, ob + at);
      }
    });
  const numericResult =
    resultLiteral(names, outNames, outKernels, outOffsets) ??
    ((nums: ReadonlyCells, o: number): AggregateResult => {
      const out = { ...template };
      for (let i = 0; i < outNames.length; i++) {
        out[outNames[i] as string] = (outKernels[i] as Kernel).result(nums, o + (outOffsets[i] as number));
      }
      return out;
    });

  return {
    kind: 'set',
    names,
    specs,
    columns: sketched
      ? undefined
      : {
          width,
          empty,
          add(cells, o, record, ts) {
            readFields(record);
            addNumeric(cells, o, ts);
          },
          merge: mergeNumeric,
          result: numericResult,
        },
    init: () =>
      sketched
        ? opaqueState({ nums: empty.slice(), sketches: sketchFields.map(() => null) })
        : opaqueState(empty.slice()),
    add(state, record, ts) {
      readFields(record);
      addNumeric(numsOf(state), 0, ts);
      if (sketched) {
        const sketches = sketchesOf(state);
        for (let i = 0; i < sketchFields.length; i++) {
          const v = values[sketchFields[i] ?? -1] ?? NaN;
          if (!Number.isNaN(v)) sketches[i] = sketchAdd(sketches[i] ?? null, v, relativeAccuracy);
        }
      }
      return state;
    },
    merge(a, b) {
      const nums = empty.slice();
      mergeNumeric(nums, 0, numsOf(a), 0, numsOf(b), 0);
      if (!sketched) return opaqueState(nums);
      const bs = sketchesOf(b);
      return opaqueState({ nums, sketches: sketchesOf(a).map((s, i) => sketchMerge(s, bs[i] ?? null)) });
    },
    result(state) {
      const out = numericResult(numsOf(state), 0);
      if (sketched) {
        const sketches = sketchesOf(state);
        for (const o of sketchOutputs) {
          out[o.name] = sketchQuantile(sketches[o.sketch] ?? null, o.q);
        }
      }
      return out;
    },
    toJSON(state): Json {
      const nums = numsOf(state);
      const sketches = sketched ? sketchesOf(state) : [];
      return {
        v: 1,
        values: Object.fromEntries(groups.map((g) => [g.text, kernelToJSON(g.kernel, nums, g.offset)])),
        sketches: Object.fromEntries(
          sketchFields.map((f, i) => [fields[f] ?? '', sketchToJSON(sketches[i] ?? null)]),
        ),
      };
    },
    fromJSON(j) {
      const isObject = (x: unknown): x is Record<string, unknown> =>
        typeof x === 'object' && x !== null && !Array.isArray(x);
      if (!isObject(j) || j.v !== 1 || !isObject(j.values) || !isObject(j.sketches)) {
        throw new Error(
          `aggregate set state: expected { v: 1, values: {...}, sketches: {...} }, got ${describeValue(j)}`,
        );
      }
      const { values: jv, sketches: js } = j;
      const nums = empty.slice();
      for (const g of groups) {
        if (Object.hasOwn(jv, g.text)) {
          kernelFromJSON(g.kernel, jv[g.text], nums, g.offset, `aggregate set state for ${g.text}`);
        }
      }
      if (!sketched) return opaqueState(nums);
      const sketches = sketchFields.map((f) => {
        const field = fields[f] ?? '';
        return Object.hasOwn(js, field)
          ? sketchFromJSON(js[field], relativeAccuracy, `aggregate set state for the quantiles of ${field}`)
          : null;
      });
      return opaqueState({ nums, sketches });
    },
  };
}
