// The CEL environment every config expression is compiled in: which variables are declared, with which types,
// and how a record becomes the evaluation context. Pure: no I/O, no clock.
import { Environment } from '@marcbachmann/cel-js';

/** A variable every expression can use, besides the record's own fields. */
export interface DeclaredVariable {
  readonly name: string;
  /** The CEL type the type checker assumes. */
  readonly type: string;
  readonly description: string;
}

/**
 * Declared variables. They shadow record fields of the same name; such a field is still reachable as
 * `record.<name>` (e.g. a payload field `ts` holding epoch seconds is `record.ts`, while `ts` is the record's
 * time in epoch milliseconds).
 */
export const declaredVariables: readonly DeclaredVariable[] = [
  {
    name: 'topic',
    type: 'string',
    description: 'The MQTT topic the record came from ("" for other receivers).',
  },
  {
    name: 'topicParts',
    type: 'list<string>',
    description: 'The topic split at "/": for sensors/t-17/telemetry, topicParts[1] is "t-17".',
  },
  { name: 'receiver', type: 'string', description: 'The id of the receiver that produced the record.' },
  {
    name: 'ts',
    type: 'int',
    description:
      "The record's time in epoch milliseconds: its event time, or its arrival time when the receiver has no `time` field.",
  },
  {
    name: 'record',
    type: 'map<string, dyn>',
    description:
      'All fields of the record as a map: test presence with has(record.temp), reach fields named like CEL keywords or with dashes as record["in"] or record["temp-c"].',
  },
];

/** CEL's reserved words: a field with one of these names can only be read as `record["name"]`. */
export const celReservedWords: ReadonlySet<string> = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

function buildEnvironment(): Environment {
  // Any identifier that is not declared is a record field of unknown (dyn) type: payloads are schemaless, so
  // the checker can only catch misuse of the declared variables, unknown functions and syntax errors.
  const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
  for (const variable of declaredVariables) {
    env.registerVariable(variable.name, variable.type, { description: variable.description });
  }
  return env;
}

/**
 * The shared environment. Environments are immutable once built (clone() freezes the parent), so sharing one
 * across compilations is safe.
 */
export const celEnvironment: Environment = buildEnvironment().clone();

/** What an expression sees of one record. */
export interface RecordScope {
  /** The decoded payload's fields (JSON object, CSV columns by name, { value } for text and number formats). */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The MQTT topic; "" for receivers without topics. */
  readonly topic: string;
  /** `topic` split at "/". */
  readonly topicParts: readonly string[];
  /** The receiver id. */
  readonly receiver: string;
  /** Epoch milliseconds (an integer; a fraction is truncated). */
  readonly ts: number;
}

/**
 * Builds the CEL context for a record. A null-prototype object, so that identifiers like `constructor` or
 * `toString` resolve only to real fields (otherwise they are unknown variables), never to Object.prototype.
 * JS numbers are CEL doubles; `ts` is passed as an int (bigint).
 */
export function contextOf(scope: RecordScope): Record<string, unknown> {
  const context: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(scope.fields)) context[name] = scope.fields[name];
  context.topic = scope.topic;
  context.topicParts = scope.topicParts;
  context.receiver = scope.receiver;
  context.ts = BigInt(Math.trunc(scope.ts));
  context.record = scope.fields;
  return context;
}
