// Compiles a CEL expression once (parse + type check) into a filter or a key expression, so that a syntax or
// type error is a config error reported before anything starts, never a surprise per record.
import type { ParseResult } from '@marcbachmann/cel-js';
import { celEnvironment, celReservedWords } from './environment.js';

/** Why an expression does not compile. `offset`/`length` locate the culprit within the source (0-based). */
export interface ExpressionError {
  readonly message: string;
  readonly hint: string;
  readonly offset?: number;
  readonly length?: number;
}

export type CompileResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ExpressionError };

/** A `where` expression: decides whether a record goes on. Evaluate with `evaluateFilter`. */
export interface CompiledFilter {
  readonly kind: 'filter';
  readonly source: string;
  /** The type the checker inferred: `bool`, or `dyn` when it depends on record fields. */
  readonly type: string;
}

/** A `key` expression: computes a record's key. Evaluate with `evaluateKey`. */
export interface CompiledKey {
  readonly kind: 'key';
  readonly source: string;
  /** The type the checker inferred: string, int, uint, double, or dyn. */
  readonly type: string;
}

// The cel-js program behind each compiled expression, kept out of the public objects so that callers depend on
// this module's types only (the CEL library can change without touching them).
const programs = new WeakMap<CompiledFilter | CompiledKey, ParseResult>();

/** Internal to operators/expressions: the program of a compiled expression. */
export function programOf(compiled: CompiledFilter | CompiledKey): ParseResult {
  const program = programs.get(compiled);
  if (program === undefined)
    throw new TypeError('not a compiled expression: use compileFilter or compileKey');
  return program;
}

function register<T extends CompiledFilter | CompiledKey>(
  compiled: T,
  program: ParseResult,
): CompileResult<T> {
  programs.set(compiled, program);
  return { ok: true, value: Object.freeze(compiled) };
}

const KEY_TYPES = new Set(['string', 'int', 'uint', 'double', 'dyn']);

const GENERAL_HINT =
  'CEL syntax: comparisons ==, !=, <, >; logic &&, ||, !; strings in quotes; record fields by name (temp), ' +
  'and topic, topicParts, receiver, ts';

/** Compiles a `where` filter; its type must be bool (or dyn, checked per record). */
export function compileFilter(source: string): CompileResult<CompiledFilter> {
  const checked = check(source);
  if (!checked.ok) return checked;
  const { program, type } = checked.value;
  if (type !== 'bool' && type !== 'dyn') {
    return failure(
      `a filter must give true or false, this one gives a ${type}`,
      type === 'string' || type === 'int' || type === 'double'
        ? `compare it, e.g. ${source} > 0 or ${source} == "value"`
        : 'write a condition, e.g. temp > -40.0 && temp < 85.0',
      0,
      source.length,
    );
  }
  return register<CompiledFilter>({ kind: 'filter', source, type }, program);
}

/** Compiles a `key` expression; its type must be a string or a number (numbers become strings). */
export function compileKey(source: string): CompileResult<CompiledKey> {
  const checked = check(source);
  if (!checked.ok) return checked;
  const { program, type } = checked.value;
  if (!KEY_TYPES.has(type)) {
    return failure(
      `a key must be a string or a number, this one gives a ${type}`,
      type.startsWith('list')
        ? `pick one element, e.g. ${source}[1]`
        : 'write an expression giving a string, e.g. topicParts[1]',
      0,
      source.length,
    );
  }
  return register<CompiledKey>({ kind: 'key', source, type }, program);
}

function check(source: string): CompileResult<{ program: ParseResult; type: string }> {
  if (source.trim() === '') return failure('the expression is empty', GENERAL_HINT);
  let program: ParseResult;
  try {
    program = celEnvironment.parse(source);
  } catch (error) {
    return failure(...describe(error, source));
  }
  const result = program.check();
  if (!result.valid) return failure(...describe(result.error, source));
  return { ok: true, value: { program, type: result.type ?? 'dyn' } };
}

function failure<T>(message: string, hint: string, offset?: number, length?: number): CompileResult<T> {
  const error: ExpressionError = {
    message,
    hint,
    ...(offset === undefined ? {} : { offset }),
    ...(length === undefined ? {} : { length }),
  };
  return { ok: false, error };
}

type Described = [message: string, hint: string, offset?: number, length?: number];

/** Turns a cel-js ParseError/TypeError into a message without the source excerpt, plus a hint. */
function describe(error: unknown, source: string): Described {
  if (!(error instanceof Error)) return [`cannot compile the expression`, GENERAL_HINT];
  const fields = error as Error & {
    summary?: unknown;
    code?: unknown;
    range?: { start: number; end: number };
  };
  const summary = typeof fields.summary === 'string' ? fields.summary : (error.message.split('\n')[0] ?? '');
  const code = typeof fields.code === 'string' ? fields.code : '';
  const range = fields.range;
  const culprit = range === undefined ? '' : source.slice(range.start, range.end);
  const located = (hint: string): Described =>
    range === undefined
      ? [lowerFirst(summary), hint]
      : [lowerFirst(summary), hint, range.start, range.end - range.start];

  if (code === 'unexpected_character' && culprit === '=') return located('CEL compares with ==, not =');
  if (/\b(and|or|not)\b/.test(source) && error.name === 'ParseError') {
    return located('CEL writes logic as &&, || and !, not and, or, not');
  }
  if (celReservedWords.has(culprit)) {
    return located(`"${culprit}" is a CEL keyword: read a field with that name as record["${culprit}"]`);
  }
  if (code === 'invalid_macro_argument' && source.includes('has(')) {
    return located('has() tests a field selection: write has(record.temp)');
  }
  if (code === 'no_matching_overload' && /found no matching overload for '\w+\(/.test(summary)) {
    return located(
      'unknown function or wrong arguments; CEL functions include size, has, int, double, string, ' +
        'startsWith, endsWith, contains, matches, exists, all',
    );
  }
  if (code === 'no_such_overload') {
    return located(
      'the operand types do not fit the operator: compare strings with strings, numbers with numbers',
    );
  }
  return located(GENERAL_HINT);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
