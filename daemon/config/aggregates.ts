// Validation of aggregate strings in pipelines (`count()`, `avg(temp)`, `quantile(temp, 0.9)`) at config time.
// operators/aggregates' parseAggregate decides what is valid (so validate and the engine never disagree); this
// module only turns a rejection into a config issue with a separate message and hint.
import { z } from 'zod';
import { AGGREGATE_FNS, parseAggregate } from '../../operators/aggregates/index.js';
import { didYouMean } from './suggest.js';

/** Names people reach for that are spelled differently here (used for hints only). */
const ALIASES: Readonly<Record<string, string>> = {
  mean: 'avg',
  average: 'avg',
  median: 'p50',
  std: 'stddev',
  stdev: 'stddev',
  total: 'sum',
  cnt: 'count',
  minimum: 'min',
  maximum: 'max',
  percentile: 'quantile',
};

const CALL = /^\s*([^\s(]+)\s*\((.*)\)\s*$/s;
const FUNCTION_LIST = AGGREGATE_FNS.map((fn) =>
  fn === 'count' ? 'count()' : fn === 'quantile' ? 'quantile(field, q)' : `${fn}(field)`,
).join(', ');

export type AggregateCheck = { ok: true } | { ok: false; message: string; hint: string };

/** Checks an aggregate string with the engine's parser; on rejection, says what is wrong and how to fix it. */
export function checkAggregate(text: string): AggregateCheck {
  try {
    parseAggregate(text);
    return { ok: true };
  } catch (error) {
    return { ok: false, ...diagnose(text, error instanceof Error ? error.message : String(error)) };
  }
}

/** A message and hint for a rejected aggregate; falls back to the parser's own words for anything else. */
function diagnose(text: string, parserMessage: string): { message: string; hint: string } {
  const call = CALL.exec(text);
  if (call === null)
    return {
      message: 'not an aggregate call',
      hint: `write fn(field), e.g. avg(temp) or count(); functions: ${FUNCTION_LIST}`,
    };
  const name = call[1] ?? '';
  if (!(AGGREGATE_FNS as readonly string[]).includes(name)) {
    const quantile = /^p(\d\d?)$/.exec(name);
    if (quantile !== null) {
      return {
        message: `unknown aggregate function "${name}"`,
        hint: `p50, p95 and p99 are built in; for other quantiles write quantile(field, 0.${(quantile[1] ?? '').padStart(2, '0')})`,
      };
    }
    const suggestion = ALIASES[name.toLowerCase()] ?? didYouMean(name, AGGREGATE_FNS);
    return {
      message: `unknown aggregate function "${name}"`,
      hint: `${suggestion === undefined ? '' : `did you mean ${suggestion}? `}functions: ${FUNCTION_LIST}`,
    };
  }
  return {
    message: parserMessage,
    hint: `functions: ${FUNCTION_LIST}; quote odd field names: avg("temp 1")`,
  };
}

/** An aggregate string in a pipeline's `aggregate` map. The value stays the text; the engine parses it. */
export const aggregateSchema = z
  .string()
  .superRefine((text, ctx) => {
    const checked = checkAggregate(text);
    if (!checked.ok)
      ctx.addIssue({ code: 'custom', input: text, message: checked.message, params: { hint: checked.hint } });
  })
  .meta({ title: 'aggregate', examples: ['count()', 'avg(temp)', 'p95(temp)', 'quantile(temp, 0.9)'] });
