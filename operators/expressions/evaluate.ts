// Evaluates compiled expressions against one record. Never throws: a result says whether the record goes on,
// or why it cannot be processed (the caller dead-letters it with that reason).
import type { CompiledFilter, CompiledKey } from './compile.js';
import { programOf } from './compile.js';
import { contextOf, type RecordScope } from './environment.js';

/**
 * The outcome of a `where` filter:
 * - `{ ok: true, keep }`: the filter gave a bool;
 * - `{ ok: false, reason: 'not-boolean' }`: it gave something else (e.g. a dyn field that holds a string);
 * - `{ ok: false, reason: 'error' }`: evaluation failed, e.g. a referenced field is missing from the record
 *   (`Unknown variable: temp`), a type mismatch (`"hot" > 40.0`), an index out of range.
 * In both failure cases the caller dead-letters the record with `message` as the reason.
 */
export type FilterResult =
  | { readonly ok: true; readonly keep: boolean }
  | { readonly ok: false; readonly reason: 'not-boolean' | 'error'; readonly message: string };

/**
 * The outcome of a `key` expression: a string key (ints and doubles are converted: 17 → "17", 21.5 → "21.5"),
 * or why there is none: `not-scalar` (a bool, null, list or map), `empty` (the empty string), `error`
 * (evaluation failed, e.g. topicParts[3] on a two-level topic). The caller dead-letters the record then.
 */
export type KeyResult =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly reason: 'not-scalar' | 'empty' | 'error'; readonly message: string };

/** Runs a `where` filter on a record. */
export function evaluateFilter(filter: CompiledFilter, scope: RecordScope): FilterResult {
  const outcome = run(filter, scope);
  if (!outcome.ok) return { ok: false, reason: 'error', message: outcome.message };
  if (typeof outcome.value === 'boolean') return { ok: true, keep: outcome.value };
  return {
    ok: false,
    reason: 'not-boolean',
    message: `the filter gave ${describeValue(outcome.value)}, not a bool`,
  };
}

/** Runs a `key` expression on a record. */
export function evaluateKey(key: CompiledKey, scope: RecordScope): KeyResult {
  const outcome = run(key, scope);
  if (!outcome.ok) return { ok: false, reason: 'error', message: outcome.message };
  const value = outcome.value;
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'bigint') text = value.toString();
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (isUnsigned(value)) text = String(value.valueOf());
  if (text === undefined) {
    return {
      ok: false,
      reason: 'not-scalar',
      message: `the key gave ${describeValue(value)}, not a string or number`,
    };
  }
  if (text === '') return { ok: false, reason: 'empty', message: 'the key is the empty string' };
  return { ok: true, key: text };
}

type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

function run(compiled: CompiledFilter | CompiledKey, scope: RecordScope): Outcome {
  try {
    const value: unknown = programOf(compiled)(contextOf(scope));
    // Only async custom functions make cel-js return a promise; none are registered, but never pass one on.
    if (value instanceof Promise)
      return { ok: false, message: 'the expression did not evaluate synchronously' };
    return { ok: true, value };
  } catch (error) {
    return { ok: false, message: summaryOf(error) };
  }
}

/** The error's one-line summary, without cel-js's source excerpt. */
function summaryOf(error: unknown): string {
  if (!(error instanceof Error)) return 'evaluation failed';
  const summary = (error as Error & { summary?: unknown }).summary;
  return typeof summary === 'string' ? summary : (error.message.split('\n')[0] ?? 'evaluation failed');
}

/** A CEL uint: cel-js wraps it in an object whose valueOf() is a bigint (the class is not exported). */
function isUnsigned(value: unknown): value is { valueOf(): bigint } {
  if (typeof value !== 'object' || value === null) return false;
  const valueOf = (value as { valueOf?: unknown }).valueOf;
  return typeof valueOf === 'function' && typeof valueOf.call(value) === 'bigint';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Map || typeof value === 'object') return 'a map';
  if (typeof value === 'number') return 'a double';
  if (typeof value === 'bigint') return 'an int';
  return `a ${typeof value}`;
}
