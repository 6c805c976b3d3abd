// Code generated per AggregateSet for its hot paths: one straight-line call per kernel instead of a loop over
// kernels, so every call site sees one kernel (monomorphic, inlinable), and results built as one object literal.
// Only integers and JSON string literals enter the generated code.
import type { AggregateResult } from './aggregate-set.js';
import type { Cells, Kernel, ReadonlyCells } from './kernels.js';

export type AddNumeric = (nums: Cells, o: number, ts: number) => void;
export type MergeNumeric = (
  out: Cells,
  oo: number,
  a: ReadonlyCells,
  oa: number,
  b: ReadonlyCells,
  ob: number,
) => void;
export type ResultOf = (nums: ReadonlyCells, o: number) => AggregateResult;

// new Function fails under --disallow-code-generation-from-strings: callers then keep their generic loops.
function generate(params: readonly string[], body: string, args: readonly unknown[]): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- integers and JSON literals only
    return (new Function(...params, body) as (...a: unknown[]) => unknown)(...args);
  } catch {
    return undefined;
  }
}

const int = (n: number): string => String(Math.trunc(n));

/**
 * add and merge for kernels at `offsets`, group g reading `values[fields[g]]` (−1: count(), which adds 0 and
 * skips nothing); a NaN value is skipped. Same semantics as looping over the kernels.
 */
export function unrolledKernels(
  kernels: readonly Kernel[],
  offsets: readonly number[],
  fields: readonly number[],
  values: readonly number[],
): { add: AddNumeric; merge: MergeNumeric } | undefined {
  const bind = kernels.map((_, g) => `const k${int(g)} = k[${int(g)}];`).join('\n');
  const adds = kernels
    .map((_, g) => {
      const at = `o + ${int(offsets[g] ?? 0)}`;
      const field = fields[g] ?? -1;
      if (field < 0) return `k${int(g)}.add(s, ${at}, 0, ts);`;
      return `v = values[${int(field)}]; if (v === v) k${int(g)}.add(s, ${at}, v, ts);`;
    })
    .join('\n');
  const merges = kernels
    .map((_, g) => {
      const d = int(offsets[g] ?? 0);
      return `k${int(g)}.merge(out, oo + ${d}, a, oa + ${d}, b, ob + ${d});`;
    })
    .join('\n');
  return generate(
    ['k', 'values'],
    `${bind}
    return {
      add: (s, o, ts) => { let v; ${adds} },
      merge: (out, oo, a, oa, b, ob) => { ${merges} },
    };`,
    [kernels, values],
  ) as { add: AddNumeric; merge: MergeNumeric } | undefined;
}

/**
 * A function returning one object literal with every output name in spec order (quantiles null, filled in
 * afterwards), each numeric value read by its kernel: results are built as fast as a hand-written literal and
 * share one shape. Names enter the code only as JSON string literals. Undefined when code cannot be
 * generated (--disallow-code-generation-from-strings) or a name is "__proto__" (a literal would set the
 * prototype); the caller then fills a cloned template.
 */
export function resultLiteral(
  names: readonly string[],
  numeric: readonly string[],
  kernels: readonly Kernel[],
  offsets: readonly number[],
): ResultOf | undefined {
  if (names.includes('__proto__')) return undefined;
  const bind = kernels.map((_, i) => `const k${int(i)} = k[${int(i)}];`).join('\n');
  const fields = names.map((n) => {
    const i = numeric.indexOf(n);
    const value = i < 0 ? 'null' : `k${int(i)}.result(s, o + ${int(offsets[i] ?? 0)})`;
    return `${JSON.stringify(n)}: ${value}`;
  });
  return generate(['k'], `${bind}\nreturn (s, o) => ({ ${fields.join(', ')} });`, [kernels]) as
    ResultOf | undefined;
}
