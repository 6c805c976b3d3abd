// CEL expressions in config (`key`, `where`, later alert conditions): compile once with declared variables,
// evaluate per record without throwing. Pure: no I/O, no clock, no eval.
export { compileFilter, compileKey } from './compile.js';
export type { CompileResult, CompiledFilter, CompiledKey, ExpressionError } from './compile.js';
export { evaluateFilter, evaluateKey } from './evaluate.js';
export type { FilterResult, KeyResult } from './evaluate.js';
export { celReservedWords, declaredVariables } from './environment.js';
export type { DeclaredVariable, RecordScope } from './environment.js';
